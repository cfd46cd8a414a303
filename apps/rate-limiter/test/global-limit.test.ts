/**
 * The rate-limiter sample with `rate_limiter.redis`: two app processes share
 * one limit through a private redis-server; three with 64 connections each
 * stay within the documented bound; 429s carry Retry-After; with
 * Redis killed mid-load the fail mode answers (open: every request passes)
 * and the limit is global again within a second of Redis returning; `-t`
 * refuses a bad redis key naming it.
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
import { RedisServer } from '../../../tooling/test-redis.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
}

async function get(port: number, appid: string): Promise<Reply> {
  const res = await httpRequest(port, '/', { headers: { appid }, timeoutMs: 10_000 });
  return { status: res.status, headers: res.headers };
}

function writeConf(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-rl-redis-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(conf, yaml);
  return conf;
}

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function startApp(yaml: string): Promise<{ port: number; log: () => string }> {
  const child = run(['-c', writeConf(yaml)]);
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
  return { port, log: () => log };
}

async function origin(): Promise<string> {
  const o = createServer((req, res) => {
    req.resume();
    res.end('from origin');
  });
  o.listen(0, '127.0.0.1');
  await once(o, 'listening');
  cleanups.push(() => new Promise((resolve) => o.close(resolve)));
  return `127.0.0.1:${(o.address() as AddressInfo).port}`;
}

const conf = (upstream: string, limit: number, redisPort: number, failMode = 'local') =>
  [
    'version: 1',
    'grace_period_seconds: 1',
    'graceful_shutdown_timeout_seconds: 1',
    'rate_limiter:',
    '  listen: ["127.0.0.1:0"]',
    `  upstreams: ["${upstream}"]`,
    `  max_requests_per_second: ${limit}`,
    '  redis:',
    `    port: ${redisPort}`,
    '    reconnect_max_ms: 200',
    `    fail_mode: ${failMode}`,
    '',
  ].join('\n');

it('two instances share one limit through Redis; a 429 carries Retry-After', async () => {
  await using redis = await RedisServer.start();
  const upstream = await origin();
  const LIMIT = 4;
  const [a, b] = await Promise.all([
    startApp(conf(upstream, LIMIT, redis.port)),
    startApp(conf(upstream, LIMIT, redis.port)),
  ]);
  const started = performance.now();
  const replies: Reply[] = [];
  for (let i = 0; i < 16; i++) replies.push(await get(i % 2 === 0 ? a.port : b.port, 'alice'));
  const windows = Math.floor((performance.now() - started) / 1000) + 2;
  const allowed = replies.filter((r) => r.status === 200);
  const limited = replies.filter((r) => r.status === 429);
  // each instance alone would let LIMIT pass per window: together they still share LIMIT
  expect(allowed.length).toBeLessThanOrEqual(LIMIT * windows);
  expect(allowed.length).toBeLessThan(2 * LIMIT);
  expect(limited.length).toBeGreaterThan(0);
  for (const r of limited) {
    expect(r.headers['x-rate-limit-limit']).toBe(String(LIMIT));
    expect(r.headers['x-rate-limit-remaining']).toBe('0');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.headers['x-rate-limit-reset']).toBe(r.headers['retry-after']);
  }
});

it('3 instances x 64 concurrent connections: within the limit per window, not 3x it', async () => {
  await using redis = await RedisServer.start();
  const upstream = await origin();
  const LIMIT = 50;
  const apps = await Promise.all([0, 1, 2].map(() => startApp(conf(upstream, LIMIT, redis.port))));
  let allowed = 0;
  let limited = 0;
  const failures: string[] = [];
  const started = performance.now();
  const end = started + 1500;
  const client = async (port: number) => {
    for (let i = 0; i < 2000 && performance.now() < end; i++) {
      try {
        const r = await get(port, 'bob');
        if (r.status === 200) allowed++;
        else if (r.status === 429) limited++;
        else failures.push(`status ${r.status}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  await Promise.all(apps.flatMap((a) => Array.from({ length: 64 }, () => client(a.port))));
  const elapsed = performance.now() - started;
  expect(failures).toEqual([]);
  // documented bound: at most LIMIT admitted per fixed one-second window, whichever instance
  const windows = Math.floor(elapsed / 1000) + 2;
  expect(allowed).toBeLessThanOrEqual(LIMIT * windows);
  expect(allowed).toBeGreaterThanOrEqual(LIMIT);
  // three local limiters would have let through about three times as many
  expect(limited).toBeGreaterThan(3 * LIMIT * windows - allowed);
}, 30_000);

it('Redis killed mid-load: fail open serves every request; global again within 1 s of its return', async () => {
  await using redis = await RedisServer.start();
  const upstream = await origin();
  const LIMIT = 100_000;
  const app = await startApp(conf(upstream, LIMIT, redis.port, 'open'));
  const statuses: number[] = [];
  let redisBackAt = 0;
  let globalAgainAt = 0;
  let stop = false;
  const load = async () => {
    for (let i = 0; i < 5000 && !stop; i++) {
      const r = await get(app.port, 'load');
      statuses.push(r.status);
      const fromRedis = Number(r.headers['x-rate-limit-remaining']) < LIMIT - 1;
      if (redisBackAt > 0 && globalAgainAt === 0 && fromRedis) globalAgainAt = performance.now();
    }
  };
  const loops = Array.from({ length: 4 }, load);
  await new Promise((r) => setTimeout(r, 300));
  await redis.kill();
  await new Promise((r) => setTimeout(r, 500));
  await redis.restart();
  redisBackAt = performance.now();
  for (let i = 0; i < 300 && globalAgainAt === 0; i++) await new Promise((r) => setTimeout(r, 10));
  stop = true;
  await Promise.all(loops);
  expect(statuses.length).toBeGreaterThan(20);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(globalAgainAt).toBeGreaterThan(0);
  expect(globalAgainAt - redisBackAt).toBeLessThan(1000);
  expect(app.log()).toMatch(/redis (down|reconnecting): fail mode open/);
});

it('-t refuses a bad redis key, naming it', async () => {
  const path = writeConf(
    conf('127.0.0.1:1', 1, 6379).replace('fail_mode: local', 'fail_mode: sometimes'),
  );
  const child = run(['-t', '-c', path]);
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const [code] = await once(child, 'exit');
  expect(code).toBe(1);
  expect(err).toMatch(/rate_limiter\.redis\.fail_mode: expected one of local, open, closed/);
});
