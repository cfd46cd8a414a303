/**
 * Smoke test of the load-balancer sample: start main.ts as a real process
 * on port 0 with no upstreams (so it starts its demo origins), see requests
 * alternate between the two origins, and stop it with SIGTERM (exit 0).
 * A second run balances over origins given in the YAML and fails over when
 * one of them is down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function get(
  port: number,
  path: string,
): Promise<{ status: number; origin: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, origin: String(res.headers['x-origin']), body }),
      );
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

async function startApp(yaml: string): Promise<{ child: ChildProcess; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-'));
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
      const m = /"service":"load_balancer".*"bound":\{[^}]*"port":(\d+)/.exec(log);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, port };
}

async function origin(name: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'X-Origin': name, 'Content-Length': name.length });
    res.end(name);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => server.close(r)));
  return server;
}

it('starts demo origins when none are configured, balances round robin, exits 0 on SIGTERM', async () => {
  const { child, port } = await startApp(
    'version: 1\ngrace_period_seconds: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\n',
  );
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await get(port, `/hello/${i}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain(`GET /hello/${i}`);
    expect(res.body).toContain('x-forwarded-for: 127.0.0.1');
    seen.push(res.origin);
  }
  expect(new Set(seen)).toEqual(new Set(['demo-origin-1', 'demo-origin-2']));
  expect(seen[0]).not.toBe(seen[1]);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  expect((await exited)[0]).toBe(0);
});

it('balances over configured upstreams and fails over from one that is down', async () => {
  const a = await origin('a');
  const down = await origin('down');
  const downPort = (down.address() as AddressInfo).port;
  await new Promise((r) => down.close(r));
  const aPort = (a.address() as AddressInfo).port;
  const { port } = await startApp(
    `version: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\n  upstreams: ["127.0.0.1:${aPort}", "127.0.0.1:${downPort}"]\n  health_check_interval_seconds: 60\n`,
  );
  for (let i = 0; i < 4; i++) {
    const res = await get(port, '/');
    expect(res.status).toBe(200);
    expect(res.origin).toBe('a');
  }
});

it('takes an upstream out of rotation when its HTTP health check fails', async () => {
  let healthy = true;
  const flaky = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(healthy ? 200 : 503, { 'Content-Length': 0 });
      res.end();
      return;
    }
    res.writeHead(200, { 'X-Origin': 'flaky', 'Content-Length': 5 });
    res.end('flaky');
  });
  flaky.listen(0, '127.0.0.1');
  await once(flaky, 'listening');
  cleanups.push(() => new Promise((r) => flaky.close(r)));
  const steady = createServer((req, res) => {
    res.writeHead(200, {
      'X-Origin': req.url === '/health' ? 'health' : 'steady',
      'Content-Length': 6,
    });
    res.end('steady');
  });
  steady.listen(0, '127.0.0.1');
  await once(steady, 'listening');
  cleanups.push(() => new Promise((r) => steady.close(r)));
  const addr = (s: Server) => `127.0.0.1:${(s.address() as AddressInfo).port}`;
  const { port } = await startApp(
    `version: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\n  upstreams: ["${addr(flaky)}", "${addr(steady)}"]\n  health_check_path: /health\n  health_check_interval_seconds: 0.1\n`,
  );
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await get(port, '/')).origin);
  expect(seen).toEqual(new Set(['flaky', 'steady']));
  healthy = false;
  // Bounded wait for the checks to notice (interval 100 ms, generous margin).
  let onlySteady = false;
  for (let attempt = 0; attempt < 100 && !onlySteady; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    const batch = new Set<string>();
    for (let i = 0; i < 4; i++) batch.add((await get(port, '/')).origin);
    onlySteady = batch.size === 1 && batch.has('steady');
  }
  expect(onlySteady).toBe(true);
});
