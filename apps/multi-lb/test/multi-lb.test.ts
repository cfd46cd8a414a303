/**
 * Smoke test of the multi-LB sample: start main.ts as a real process with
 * two groups of real origins, see requests routed by Host and balanced in
 * each group, kill one origin mid-run and bring it back (no client request
 * fails: connect failures and dead pooled connections are retried, the
 * health check takes it out and readmits it), then SIGTERM (exit 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

class Origin {
  readonly name: string;
  port = 0;
  server: Server | undefined;
  constructor(name: string) {
    this.name = name;
  }
  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      req.resume();
      res.setHeader('X-Origin', this.name);
      res.end(this.name);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function get(port: number, host: string): Promise<{ status: number; origin: string }> {
  const res = await httpRequest(port, '/', { headers: { host }, timeoutMs: 10_000 });
  return { status: res.status, origin: String(res.headers['x-origin']) };
}

async function startApp(yaml: string): Promise<{ child: ChildProcess; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-multi-lb-'));
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
      const m = /"service":"multi-lb".*"bound":\{[^}]*"port":(\d+)/.exec(log);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, port };
}

it('routes by Host, balances each group, survives an origin dying and coming back, exits 0 on SIGTERM', async () => {
  const origins = await Promise.all(['a1', 'a2', 'b1', 'b2'].map((n) => new Origin(n).start()));
  for (const o of origins) cleanups.push(() => o.stop());
  const [a1, a2, b1, b2] = origins as [Origin, Origin, Origin, Origin];
  const { child, port } = await startApp(
    [
      'version: 1',
      'grace_period_seconds: 1',
      'graceful_shutdown_timeout_seconds: 1',
      'multi_lb:',
      '  listen: ["127.0.0.1:0"]',
      '  health_check_interval_ms: 200',
      '  one:',
      '    hosts: [one.test]',
      `    upstreams: ["${a1.addr}", "${a2.addr}"]`,
      '  two:',
      '    hosts: [two.test]',
      `    upstreams: ["${b1.addr}", "${b2.addr}"]`,
      '',
    ].join('\n'),
  );

  const one = await Promise.all([get(port, 'one.test'), get(port, 'one.test:80')]);
  expect(new Set(one.map((r) => r.origin))).toEqual(new Set(['a1', 'a2']));
  const two = [await get(port, 'two.test'), await get(port, 'TWO.test')];
  expect(new Set(two.map((r) => r.origin))).toEqual(new Set(['b1', 'b2']));
  expect((await get(port, 'three.test')).status).toBe(404);

  // Kill a1 mid-run: every request still succeeds, on a2, until a1 is back.
  const results: Array<{ status: number; origin: string }> = [];
  for (let i = 0; i < 10; i++) results.push(await get(port, 'one.test'));
  await a1.stop();
  for (let i = 0; i < 30; i++) results.push(await get(port, 'one.test'));
  const whileDown = results.slice(10).map((r) => r.origin);
  expect(new Set(whileDown)).toEqual(new Set(['a2']));
  await a1.start(); // same port
  const deadline = performance.now() + 10_000;
  let back = false;
  while (!back && performance.now() < deadline) {
    const r = await get(port, 'one.test');
    results.push(r);
    back = r.origin === 'a1';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(back).toBe(true);
  expect(results.filter((r) => r.status !== 200)).toEqual([]);

  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
