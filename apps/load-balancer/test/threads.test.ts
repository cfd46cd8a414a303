/**
 * The gateway on several threads as a real process: the health checks run on
 * one thread and reach each origin once per interval (not once per thread),
 * a backend they mark down is skipped by every thread, and least_conn on one
 * thread sees the requests held open through another.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { type Origin, origins } from './utils/harness.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
vi.setConfig({ testTimeout: 60_000 });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A GET on a new connection: the answering origin. */
function getOnce(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(`${res.statusCode} ${String(res.headers['x-origin'])}`));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

it('threads: 4: health checks reach each origin once per interval; a backend marked down is skipped by every thread', async () => {
  const [a, b] = (await origins('a', 'b')) as [Origin, Origin];
  cleanups.push(
    () => a.stop(),
    () => b.stop(),
  );
  const intervalMs = 300;
  const gw = await startThreaded(
    `version: 1
threads: 4
work_stealing: true
grace_period_seconds: 2
graceful_shutdown_timeout_seconds: 1
load_balancer:
  listen: ["127.0.0.1:0"]
  upstreams: ["${a.addr}", "${b.addr}"]
  health_check:
    type: http
    path: /health
    interval_ms: ${intervalMs}
    timeout_ms: 1000
    healthy_threshold: 1
    unhealthy_threshold: 1
`,
  );
  const { port } = gw;
  expect(gw.stderr()).toMatch(/"threads":4.*"msg":"server threads ready"/);

  // A window of 10 intervals: about 10 checks per origin, not 40.
  const before = [a.healthChecks, b.healthChecks];
  await sleep(intervalMs * 10);
  for (const [i, o] of [a, b].entries()) {
    const n = o.healthChecks - (before[i] as number);
    expect(n, `${o.name}: ${n} checks`).toBeGreaterThanOrEqual(4);
    expect(n, `${o.name}: ${n} checks`).toBeLessThanOrEqual(14);
  }

  // Both serve, then b fails its check: every thread leaves it out.
  const mixed = new Set<string>();
  for (let i = 0; i < 20; i++) mixed.add(await getOnce(port));
  expect(mixed).toEqual(new Set(['200 a', '200 b']));
  b.healthStatus = 500;
  await sleep(intervalMs * 5);
  // New connections are spread over the 4 threads (least-loaded first): 40 reach each several times.
  const answers = await Promise.all(Array.from({ length: 40 }, () => getOnce(port)));
  expect(new Set(answers)).toEqual(new Set(['200 a']));

  expect(await gw.stop()).toBe(0);
});

it('threads: 2, least_conn: a thread avoids the upstream holding a request opened through the other thread', async () => {
  const [a, b] = (await origins('a', 'b')) as [Origin, Origin];
  cleanups.push(
    () => a.stop(),
    () => b.stop(),
  );
  const gw = await startThreaded(
    `version: 1
threads: 2
work_stealing: true
grace_period_seconds: 2
graceful_shutdown_timeout_seconds: 1
load_balancer:
  listen: ["127.0.0.1:0"]
  selection: least_conn
  upstreams: ["${a.addr}", "${b.addr}"]
  health_check:
    interval_ms: 3600000
`,
  );
  // One request held upstream, on whichever thread its connection landed.
  const held = getOnce(gw.port, '/hold');
  for (let i = 0; i < 100 && a.held.size + b.held.size === 0; i++) await sleep(50);
  expect(a.held.size + b.held.size).toBe(1);
  const busy = a.held.size === 1 ? a : b;
  const idle = busy === a ? b : a;
  // New connections go to the two threads in turn: each thread's picks see the held request.
  const answers: string[] = [];
  for (let i = 0; i < 20; i++) answers.push(await getOnce(gw.port));
  expect(answers).toEqual(Array(20).fill(`200 ${idle.name}`));
  busy.release();
  expect(await held).toBe(`200 ${busy.name}`);
  // Released on its thread: the counts are back to equal, so both serve again.
  const after = new Set<string>();
  for (let i = 0; i < 8; i++) after.add(await getOnce(gw.port));
  expect(after).toEqual(new Set(['200 a', '200 b']));
  expect(await gw.stop()).toBe(0);
});

interface Threaded {
  readonly port: number;
  stderr(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the gateway on `conf` as a real process; resolves once it listens. */
async function startThreaded(conf: string): Promise<Threaded> {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-threads-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'conf.yaml');
  writeFileSync(path, conf);
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, '-c', path], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let port = 0;
  for (let i = 0; i < 300 && port === 0; i++) {
    const m = /"service":"load_balancer".*?"port":(\d+).*"msg":"listening"/.exec(stderr);
    if (m !== null) port = Number(m[1]);
    else await sleep(100);
  }
  expect(port, stderr.slice(-2000)).toBeGreaterThan(0);
  return {
    port,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGTERM');
      return new Promise((r) => child.once('exit', (c) => r(c)));
    },
  };
}
