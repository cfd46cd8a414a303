/**
 * Smoke-test helpers shared by the sample apps' tests: run a sample as a
 * real process on a temporary config, learn the port a service bound from
 * its log, send plain HTTP requests, stop it with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningSample extends AsyncDisposable {
  readonly child: ChildProcess;
  /** stderr so far (the JSON log). */
  log(): string;
  /** The port the service named `service` bound, from its log line (15 s limit). */
  port(service: string): Promise<number>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code once the process exits by itself. */
  exited(): Promise<number | null>;
}

export interface RunOptions {
  /** Resolve workspace packages to their sources (default true); false for an installed project. */
  fromSource?: boolean;
}

/** Starts `main` (a .ts file) with `args` and a config file holding `conf`. */
export function runSample(
  main: string,
  conf: string,
  args: string[] = [],
  options: RunOptions = {},
): RunningSample {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-sample-'));
  const path = join(dir, 'conf.yaml');
  writeFileSync(path, conf);
  const conditions = options.fromSource === false ? [] : ['--conditions=@pingora-ts/source'];
  const child = spawn(process.execPath, [...conditions, main, '-c', path, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    log += d;
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    log += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    log: () => log,
    port(service) {
      const re = new RegExp(`"service":"${service}".*"bound":\\{[^}]*"port":(\\d+)`);
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening in time: ${log}`)), 15_000);
        const look = () => {
          const m = re.exec(log);
          if (m === null) return;
          clearTimeout(timer);
          child.stderr?.off('data', look);
          resolve(Number(m[1]));
        };
        child.stderr?.on('data', look);
        look();
      });
    },
    exited: () => exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One GET on a fresh connection; resolves with status and body (10 s limit). */
export function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}
