/**
 * Process smoke test of the metrics sample: main.ts runs as a real process
 * from a config on port 0, a request goes through the proxy, the scrape
 * shows it (the app's counter, the upstream timing metrics and the process
 * metrics), SIGTERM exits 0, and the access log holds the request's line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await httpRequest(port, path, { timeoutMs: 10_000 });
  return { status: res.status, body: res.body.toString() };
}

it('proxies, exposes /metrics and exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-prometheus-'));
  dirs.push(dir);
  const conf = join(dir, 'conf.yaml');
  const accessLog = join(dir, 'access.log');
  writeFileSync(
    conf,
    `version: 1\ngrace_period_seconds: 2\nmetrics_proxy:\n  listen: ["127.0.0.1:0"]\n  metrics_listen: 127.0.0.1:0\naccess_log:\n  path: ${accessLog}\n`,
  );
  const child = spawn(process.execPath, ['--conditions=@pingora-ts/source', MAIN, '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let log = '';
    child.stderr.setEncoding('utf8');
    const bound = (service: string) =>
      new RegExp(`"service":"${service}".*"bound":\\{[^}]*"port":(\\d+)`).exec(log)?.[1];
    const [proxyPort, metricsPort] = await new Promise<[number, number]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening in time: ${log}`)), 15_000);
      child.stderr.on('data', (d: string) => {
        log += d;
        const p = bound('proxy');
        const m = bound('metrics');
        if (p !== undefined && m !== undefined) {
          clearTimeout(timer);
          resolve([Number(p), Number(m)]);
        }
      });
    });
    expect(await get(proxyPort, '/hello')).toEqual({
      status: 200,
      body: 'demo origin: GET /hello\n',
    });
    let text = '';
    for (let i = 0; i < 200 && !text.includes('app_requests_total{status="200"} 1'); i++) {
      if (i > 0) await sleep(20);
      text = (await get(metricsPort, '/metrics')).body;
    }
    expect(text).toContain('app_requests_total{status="200"} 1');
    expect(text).toContain('pingora_connections_accepted_total{service="proxy"');
    expect(text).toContain('process_resident_memory_bytes');
    // The upstream timing histograms and the pool reuse ratio (one request: a new connection).
    expect(text).toMatch(/pingora_upstream_ttfb_seconds_count\{peer="127\.0\.0\.1:\d+"\} 1/);
    expect(text).toMatch(/pingora_upstream_connect_seconds_count\{peer="127\.0\.0\.1:\d+"\} 1/);
    expect(text).toMatch(/^pingora_upstream_pool_reuse_ratio 0$/m);
    expect((await get(metricsPort, '/')).status).toBe(404);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The access log line, written asynchronously and flushed by the time the process exited.
    const lines = readFileSync(accessLog, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ log: 'access', method: 'GET', path: '/hello', status: 200 });
    expect(line.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.reused).toBe(false);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('-t checks the sentry, access_log and tracing sections, naming key and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-prometheus-'));
  dirs.push(dir);
  const cases: Array<[string, RegExp]> = [
    [
      'sentry:\n  dsn: https://o0.ingest.sentry.io/1\n',
      /conf\.yaml:\d+:\d+: sentry\.dsn: the DSN has no public key/,
    ],
    ['access_log:\n  path: x.log\n  format: xml\n', /conf\.yaml:\d+:\d+: access_log\.format/],
    [
      'tracing:\n  otlp_endpoint: http://127.0.0.1:4318/v1/traces\n  sample_ratio: 2\n',
      /tracing\.sample_ratio/,
    ],
  ];
  for (const [section, expected] of cases) {
    const conf = join(dir, 'conf.yaml');
    writeFileSync(conf, `version: 1\n${section}`);
    const child = spawn(
      process.execPath,
      ['--conditions=@pingora-ts/source', MAIN, '-t', '-c', conf],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(1);
    expect(output).toMatch(expected);
  }
  // Three cold starts of the app from its TypeScript sources: seconds each on a busy machine.
}, 60_000);
