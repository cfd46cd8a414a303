/**
 * The launcher chain as a user runs it: `npm start` (npm -> workspace script
 * -> server) and `node scripts/workspace.mjs start`. A signal sent only to
 * the top process must reach the server, the launcher must end the way the
 * server did, and no process may be left holding the port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
// Each start builds the app through turbo first (cached, but slow on a loaded machine).
vi.setConfig({ testTimeout: 180_000 });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const GRACE_SECONDS = 3;

function writeConf(): { conf: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-launcher-'));
  const conf = join(dir, 'conf.yaml');
  writeFileSync(
    conf,
    `version: 1\ngrace_period_seconds: ${GRACE_SECONDS}\ngraceful_shutdown_timeout_seconds: 1\n` +
      'load_balancer:\n  listen:\n    - 127.0.0.1:0\n',
  );
  cleanups.push(() => {
    // Whatever a failed test left behind must not outlive it.
    for (const pid of pidsMentioning(dir)) killQuietly(pid);
    rmSync(dir, { recursive: true, force: true });
  });
  return { conf, dir };
}

/** Pids of the processes whose command line mentions `text` (from /proc). */
function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes(text)) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

interface Launched {
  readonly proc: ChildProcess;
  stderr: string;
  port(): Promise<number>;
  exited(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(cmd: string, args: string[]): Launched {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const launched: Launched = {
    proc,
    stderr: '',
    port() {
      return new Promise((resolve, reject) => {
        const re = /"service":"load_balancer".*"port":(\d+).*"msg":"listening"/;
        const timer = setTimeout(() => {
          reject(new Error(`no listening line; stderr: ${launched.stderr.slice(-2000)}`));
        }, 150_000);
        const check = () => {
          const m = re.exec(launched.stderr);
          if (m === null) return;
          clearTimeout(timer);
          proc.stderr?.off('data', check);
          resolve(Number(m[1]));
        };
        proc.stderr?.on('data', check);
        proc.once('exit', () => reject(new Error(`exited; stderr: ${launched.stderr}`)));
      });
    },
    exited(ms) {
      return new Promise((resolve, reject) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          resolve({ code: proc.exitCode, signal: proc.signalCode });
          return;
        }
        const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
        proc.once('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      });
    },
  };
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    launched.stderr += d;
  });
  proc.stdout?.resume();
  return launched;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('npm start', () => {
  it('SIGTERM to the npm process ends the gateway within its grace period: nothing left, port free', async () => {
    const { conf, dir } = writeConf();
    const npm = launch('npm', ['start', '--', 'load-balancer', '-c', conf]);
    const port = await npm.port();
    expect(await refused(port)).toBe(false);
    const began = Date.now();
    npm.proc.kill('SIGTERM');
    const end = await npm.exited((GRACE_SECONDS + 5) * 1000);
    expect(end.code === 0 || end.signal === 'SIGTERM').toBe(true);
    expect(Date.now() - began).toBeLessThan((GRACE_SECONDS + 2) * 1000);
    expect(npm.stderr).toMatch(/"msg":"SIGTERM received"/);
    expect(npm.stderr).toMatch(/"msg":"exiting"/);
    expect(pidsMentioning(dir)).toEqual([]);
    expect(await refused(port)).toBe(true);
  });
});

describe('node scripts/workspace.mjs start', () => {
  const script = join(ROOT, 'scripts', 'workspace.mjs');

  it('passes SIGQUIT on and exits with the server status (0)', async () => {
    const { conf, dir } = writeConf();
    const ws = launch(process.execPath, [script, 'start', 'load-balancer', '-c', conf]);
    const port = await ws.port();
    ws.proc.kill('SIGQUIT');
    expect(await ws.exited(15_000)).toEqual({ code: 0, signal: null });
    expect(ws.stderr).toMatch(/"msg":"SIGQUIT received"/);
    expect(pidsMentioning(dir)).toEqual([]);
    expect(await refused(port)).toBe(true);
  });

  it('passes SIGUSR2 on and ends by the same signal as the server', async () => {
    const { conf, dir } = writeConf();
    const ws = launch(process.execPath, [script, 'start', 'load-balancer', '-c', conf]);
    const port = await ws.port();
    ws.proc.kill('SIGUSR2');
    expect(await ws.exited(15_000)).toEqual({ code: null, signal: 'SIGUSR2' });
    expect(pidsMentioning(dir)).toEqual([]);
    expect(await refused(port)).toBe(true);
  });

  it('passes SIGHUP on: the server reloads (TLS certificates) and keeps serving', async () => {
    const { conf, dir } = writeConf();
    const ws = launch(process.execPath, [script, 'start', 'load-balancer', '-c', conf]);
    const port = await ws.port();
    ws.proc.kill('SIGHUP');
    for (let i = 0; i < 200 && !/"msg":"reload done"/.test(ws.stderr); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ws.stderr).toMatch(/"msg":"SIGHUP received; reloading"/);
    expect(ws.stderr).toMatch(/"msg":"reload done"/);
    expect(await refused(port)).toBe(false);
    ws.proc.kill('SIGTERM');
    expect(await ws.exited(15_000)).toEqual({ code: 0, signal: null });
    expect(pidsMentioning(dir)).toEqual([]);
  });
});
