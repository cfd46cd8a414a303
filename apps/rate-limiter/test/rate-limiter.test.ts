/**
 * Smoke test of the rate-limiter sample: start main.ts as a real process in
 * front of a real origin, send bursts per client id, and see at most the
 * limit pass per one-second window, the rest answered 429 with the
 * X-Rate-Limit-* headers; other clients and unlabelled requests unaffected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const LIMIT = 3;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

async function get(port: number, appid?: string): Promise<Reply> {
  const headers = appid === undefined ? {} : { appid };
  const res = await httpRequest(port, '/', { headers, timeoutMs: 10_000 });
  return { status: res.status, headers: res.headers, body: res.body.toString() };
}

async function startApp(yaml: string): Promise<{ child: ChildProcess; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-rate-limiter-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(conf, yaml);
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening in time: ${log}`)), 15_000);
    child.stderr?.on('data', (d: string) => {
      log += d;
      const m = /"service":"rate-limiter".*"bound":\{[^}]*"port":(\d+)/.exec(log);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, port };
}

/** A burst of sequential requests; allowed ones must fit the windows the burst spans. */
async function burst(port: number, appid: string, count: number) {
  const started = performance.now();
  const replies: Reply[] = [];
  for (let i = 0; i < count; i++) replies.push(await get(port, appid));
  const windows = Math.floor((performance.now() - started) / 1000) + 2;
  return { replies, maxAllowed: LIMIT * windows };
}

it('limits each client id per second with 429 and X-Rate-Limit-* headers, exits 0 on SIGTERM', async () => {
  const origin = createServer((req, res) => {
    req.resume();
    res.end('from origin');
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  cleanups.push(() => new Promise((resolve) => origin.close(resolve)));
  const upstream = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const { child, port } = await startApp(
    [
      'version: 1',
      'grace_period_seconds: 1',
      'graceful_shutdown_timeout_seconds: 1',
      'rate_limiter:',
      '  listen: ["127.0.0.1:0"]',
      `  upstreams: ["${upstream}"]`,
      '  client_id_header: appid',
      `  max_requests_per_second: ${LIMIT}`,
      '',
    ].join('\n'),
  );

  const { replies, maxAllowed } = await burst(port, 'alice', 12);
  const allowed = replies.filter((r) => r.status === 200);
  const limited = replies.filter((r) => r.status === 429);
  expect(allowed.length + limited.length).toBe(12);
  // The first LIMIT always pass (each window holds LIMIT), and no window lets more through.
  expect(replies.slice(0, LIMIT).map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
  expect(allowed.length).toBeLessThanOrEqual(maxAllowed);
  expect(limited.length).toBeGreaterThanOrEqual(12 - maxAllowed);
  expect(allowed[0]!.body).toBe('from origin');
  expect(allowed[0]!.headers['x-rate-limit-limit']).toBe(String(LIMIT));
  expect(allowed[0]!.headers['x-rate-limit-remaining']).toBe(String(LIMIT - 1));
  for (const r of limited) {
    expect(r.headers['x-rate-limit-limit']).toBe(String(LIMIT));
    expect(r.headers['x-rate-limit-remaining']).toBe('0');
    expect(r.headers['x-rate-limit-reset']).toBe('1');
    expect(r.body).toBe('too many requests\n');
  }

  // Another client has its own budget; requests without a client id are not limited.
  expect((await get(port, 'bob')).status).toBe(200);
  const anonymous = await Promise.all(Array.from({ length: 8 }, () => get(port)));
  expect(anonymous.map((r) => r.status)).toEqual(Array(8).fill(200));
  expect(anonymous[0]!.headers['x-rate-limit-limit']).toBeUndefined();

  // After two quiet windows alice is allowed again.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  expect((await get(port, 'alice')).status).toBe(200);

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

it('threads: 4: limit+1 requests for one client id spread over all threads get exactly one 429', async () => {
  const origin = createServer((req, res) => {
    req.resume();
    res.end('from origin');
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  cleanups.push(() => new Promise((resolve) => origin.close(resolve)));
  const upstream = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const limit = 20;
  const { child, port } = await startApp(
    [
      'version: 1',
      'threads: 4',
      'grace_period_seconds: 1',
      'graceful_shutdown_timeout_seconds: 1',
      'rate_limiter:',
      '  listen: ["127.0.0.1:0"]',
      `  upstreams: ["${upstream}"]`,
      '  client_id_header: appid',
      `  max_requests_per_second: ${limit}`,
      '',
    ].join('\n'),
  );
  // The shared windows are wall-clock seconds: one burst must fall inside one of them.
  let statuses: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const began = Date.now();
    const id = `carol-${attempt}`;
    // New connections, all at once: the main thread spreads them over the 4 threads.
    statuses = (await Promise.all(Array.from({ length: limit + 1 }, () => get(port, id)))).map(
      (r) => r.status,
    );
    if (Math.floor(began / 1000) === Math.floor(Date.now() / 1000)) break;
    statuses = [];
  }
  expect(statuses.length).toBe(limit + 1);
  expect(statuses.filter((s) => s === 429).length).toBe(1);
  expect(statuses.filter((s) => s === 200).length).toBe(limit);

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
