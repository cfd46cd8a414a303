/**
 * Smoke test of the load-balancer sample as users run it: main.ts as a real
 * process. With no upstreams it starts its demo origins, balances round
 * robin and exits 0 on SIGTERM; `-t` passes the shipped conf.yaml and a
 * bench-style JSON config, and refuses a bad upstream naming key and line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';

const APP = join(import.meta.dirname, '..');
const MAIN = join(APP, 'src', 'main.ts');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function get(
  port: number,
  path: string,
): Promise<{ status: number; origin: string; body: string }> {
  const res = await httpRequest(port, path, { timeoutMs: 10_000 });
  return { status: res.status, origin: String(res.headers['x-origin']), body: res.body.toString() };
}

function writeConf(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(conf, text);
  return conf;
}

function spawnMain(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Runs `main.ts -t -c conf`: exit code and everything printed. */
async function testConfig(conf: string): Promise<{ code: number | null; output: string }> {
  const child = spawnMain(['-t', '-c', conf]);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

it('starts demo origins when none are configured, balances round robin, exits 0 on SIGTERM', async () => {
  const conf = writeConf(
    'version: 1\ngrace_period_seconds: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\n',
  );
  const child = spawnMain(['-c', conf]);
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

it('-t accepts the shipped conf.yaml and a bench/proxy-style JSON config', async () => {
  const shipped = await testConfig(join(APP, 'conf.yaml'));
  expect(shipped.output).toContain('test is successful');
  expect(shipped.code).toBe(0);
  const bench = writeConf(
    JSON.stringify({
      version: 1,
      threads: 1,
      upstream_keepalive_pool_size: 64,
      load_balancer: {
        listen: ['127.0.0.1:0'],
        upstreams: ['127.0.0.1:9'],
        health_check_interval_seconds: 3600,
      },
    }),
  );
  expect((await testConfig(bench)).code).toBe(0);
});

it('-t refuses a bad upstream entry, naming the key and line, exit 1', async () => {
  const conf = writeConf(
    'version: 1\nload_balancer:\n  upstreams:\n    - 127.0.0.1:8000\n    - 127.0.0.1:8001 weight=lots\n',
  );
  const { code, output } = await testConfig(conf);
  expect(code).toBe(1);
  expect(output).toMatch(
    /conf\.yaml:5:7: load_balancer\.upstreams\[1\]: weight must be an integer/,
  );
  expect(output).not.toMatch(/\n\s+at /); // one message, not a stack
});

it('writes the access_log in nginx combined format, flushed by exit, without credentials', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-lb-log-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const accessLog = join(dir, 'access.log');
  const conf = writeConf(
    `version: 1\ngrace_period_seconds: 1\nload_balancer:\n  listen: ["127.0.0.1:0"]\naccess_log:\n  path: ${accessLog}\n  format: combined\n`,
  );
  const child = spawnMain(['-c', conf]);
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
  const res = await httpRequest(port, '/a?b=1', {
    headers: { 'user-agent': 'lb-test', 'x-request-id': 'req-42', authorization: 'Bearer no' },
    timeoutMs: 10_000,
  });
  expect(res.status).toBe(200);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  expect((await exited)[0]).toBe(0);
  const lines = readFileSync(accessLog, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/a\?b=1 HTTP\/1\.1" 200 \d+ "-" "lb-test"$/,
  );
  expect(lines[0]).not.toContain('Bearer');
});
