/**
 * Graceful upgrade on real processes, under a connect-per-request loop of 32
 * clients plus 20 slow keep-alive requests in flight, with the old process
 * busy for 200 ms just before it stops accepting: SIGUSR2 (the old process
 * starts the new one with its listeners) and `-u` + SIGQUIT (reuseport
 * overlap, tcp_migrate_req=1) lose nothing; a naive stop-and-start refuses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Child, spawnTs, stderrMatching, tempDir } from './utils/child.ts';
import { connectLoop, type Exchange, exchange, freePort } from './utils/http-load.ts';

const HTTP_SERVER = new URL('./fixtures/http-server.ts', import.meta.url).pathname;
vi.setConfig({ testTimeout: 60_000 });

const children: Child[] = [];
const strays: number[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill();
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

function start(args: string[]): Child {
  const child = spawnTs(HTTP_SERVER, args);
  children.push(child);
  return child;
}

function conf(listen: string, extra = ''): string {
  return `version: 1
grace_period_seconds: 10
graceful_shutdown_timeout_seconds: 2
upgrade_close_timeout_seconds: 0.3
${extra}fixture:
  listen: ${listen}
  busy_before_close_ms: 200
`;
}

/** The pid and port of the n-th `listening` line (0: the first process). */
async function listening(child: Child, n = 0): Promise<{ pid: number; port: number }> {
  const re = new RegExp(`(?:[\\s\\S]*?listening \\d+ \\[[^\\n]*\\n){${n + 1}}`);
  const m = await child.waitFor(re, 20_000);
  const all = [...m[0].matchAll(/listening (\d+) \[.*?"port":(\d+)/g)];
  const last = all[all.length - 1] as RegExpMatchArray;
  return { pid: Number(last[1]), port: Number(last[2]) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 20 slow requests (`ms` each) on keep-alive connections, sent now. */
function slowRequests(port: number, ms = 3000): Promise<Exchange[]> {
  return Promise.all(
    Array.from({ length: 20 }, () => exchange(port, `/slow/${ms}`, { keepAlive: true })),
  );
}

function expectSlowCompleted(slow: Exchange[], oldPid: number): void {
  for (const s of slow) {
    expect(s.outcome).toBe('ok');
    expect(s.body).toBe(`slow ${oldPid}`);
    // Answered while draining: the keep-alive connection is not kept.
    expect(s.headers).toMatch(/\r\nconnection: close/i);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('graceful upgrade', () => {
  it('SIGUSR2: the old process hands its listeners to the new one; nothing refused, reset or cut', async () => {
    using tmp = tempDir();
    const old = start(['-c', tmp.write('conf.yaml', conf('127.0.0.1:0'))]);
    const { pid: oldPid, port } = await listening(old);
    const loop = connectLoop(port, { clients: 32, maxMs: 40_000 });
    await sleep(300);
    // In flight when the old process drains, however long the new one takes to start under load.
    const slow = slowRequests(port, 8000);
    await sleep(200);
    old.proc.kill('SIGUSR2');
    const { pid: newPid } = await listening(old, 1);
    strays.push(newPid);
    expect(newPid).not.toBe(oldPid);
    expect(await old.exited(20_000)).toBe(0);
    await sleep(300);
    const result = await loop.stop();
    expectSlowCompleted(await slow, oldPid);
    expect(result.errors).toEqual([]);
    expect({ refused: result.refused, reset: result.reset, truncated: result.truncated }).toEqual({
      refused: 0,
      reset: 0,
      truncated: 0,
    });
    expect(result.byPid.get(oldPid) ?? 0).toBeGreaterThan(0);
    expect(result.byPid.get(newPid) ?? 0).toBeGreaterThan(0);
    // The new process was ready before the old one stopped accepting, and is still serving.
    expect(old.stdout.indexOf(`listening ${newPid}`)).toBeLessThan(
      old.stdout.indexOf(`phase ShutdownStarted ${oldPid}`),
    );
    expect((await exchange(port, '/')).body).toBe(`ok ${newPid}`);
    expect(await stderrMatching(old, /"inherited":true/)).toMatch(/"inherited":true/);
    process.kill(newPid, 'SIGTERM');
  });

  it('-u then SIGQUIT: the new process joins the reuseport group; with tcp_migrate_req=1 nothing is lost', async () => {
    using tmp = tempDir();
    using _migrate = sysctlMigrateReq(1);
    const port = await freePort();
    const confPath = tmp.write('conf.yaml', conf(`127.0.0.1:${port}`));
    const old = start(['-c', confPath]);
    const { pid: oldPid } = await listening(old);
    const loop = connectLoop(port, { clients: 32, maxMs: 40_000 });
    await sleep(300);
    // Sent before the new process joins (so the old one answers them), long enough to be in
    // flight when it drains however long the new one takes to start on a loaded machine.
    const slow = slowRequests(port, 8000);
    const next = start(['-u', '-c', confPath]);
    const { pid: newPid } = await listening(next);
    await sleep(200);
    old.proc.kill('SIGQUIT');
    expect(await old.exited(20_000)).toBe(0);
    await sleep(300);
    const result = await loop.stop();
    expectSlowCompleted(await slow, oldPid);
    expect(result.errors).toEqual([]);
    expect({ refused: result.refused, reset: result.reset, truncated: result.truncated }).toEqual({
      refused: 0,
      reset: 0,
      truncated: 0,
    });
    expect(result.byPid.get(oldPid) ?? 0).toBeGreaterThan(0);
    expect(result.byPid.get(newPid) ?? 0).toBeGreaterThan(0);
    expect(next.stderr).not.toMatch(/tcp_migrate_req/);
    next.proc.kill('SIGTERM');
    expect(await next.exited()).toBe(0);
  });

  it('-u says what to set when net.ipv4.tcp_migrate_req is 0', async () => {
    using tmp = tempDir();
    using _migrate = sysctlMigrateReq(0);
    const port = await freePort();
    const confPath = tmp.write('conf.yaml', conf(`127.0.0.1:${port}`));
    const old = start(['-c', confPath]);
    await listening(old);
    const next = start(['-u', '-c', confPath]);
    await listening(next);
    expect(await stderrMatching(next, /sysctl -w net\.ipv4\.tcp_migrate_req=1/)).toMatch(
      /sysctl -w net\.ipv4\.tcp_migrate_req=1/,
    );
    // Without -u a second server on the same port is refused, reuseport or not.
    const third = start(['-c', confPath]);
    expect(await third.exited()).toBe(1);
    expect(await stderrMatching(third, /start with -u/)).toMatch(/start with -u/);
  });

  it('SIGUSR2 with a new build that cannot start: the old process says why and keeps serving', async () => {
    using tmp = tempDir();
    const confPath = tmp.write('conf.yaml', conf('127.0.0.1:0'));
    const old = start(['-c', confPath]);
    const { pid, port } = await listening(old);
    // The "new build" reads a broken configuration and exits 1.
    writeFileSync(confPath, 'version: 1\nthreads: nope\n');
    old.proc.kill('SIGUSR2');
    expect(await stderrMatching(old, /graceful upgrade failed; still serving/, 20_000)).toMatch(
      /exited before it was ready \(code 1/,
    );
    expect((await exchange(port, '/')).body).toBe(`ok ${pid}`);
    old.proc.kill('SIGTERM');
    expect(await old.exited()).toBe(0);
  });

  it('naive stop-and-start (old closes, then new binds) refuses connections: the loop sees them', async () => {
    using tmp = tempDir();
    const port = await freePort();
    const confPath = tmp.write('conf.yaml', conf(`127.0.0.1:${port}`));
    const old = start(['-c', confPath]);
    await listening(old);
    const loop = connectLoop(port, { clients: 32, maxMs: 40_000 });
    await sleep(300);
    old.proc.kill('SIGTERM');
    expect(await old.exited(20_000)).toBe(0);
    const next = start(['-c', confPath]);
    await listening(next);
    await sleep(300);
    const result = await loop.stop();
    expect(result.refused).toBeGreaterThan(0);
    next.proc.kill('SIGTERM');
  });

  it('a daemon: the pid file follows the new process and the old one exits 0', async () => {
    using tmp = tempDir();
    const pidFile = `${tmp.dir}/server.pid`;
    const log = `${tmp.dir}/error.log`;
    const confPath = tmp.write(
      'conf.yaml',
      conf('127.0.0.1:0', `daemon: true\npid_file: ${pidFile}\nerror_log: ${log}\n`),
    );
    const parent = start(['-c', confPath]);
    expect(await parent.exited()).toBe(0);
    const oldPid = await pidIn(pidFile, (pid) => pid > 0);
    strays.push(oldPid);
    const port = await portFromLog(log, oldPid);
    expect((await exchange(port, '/')).body).toBe(`ok ${oldPid}`);
    process.kill(oldPid, 'SIGUSR2');
    const newPid = await pidIn(pidFile, (pid) => pid !== oldPid);
    strays.push(newPid);
    for (let i = 0; i < 100 && alive(oldPid); i++) await sleep(100);
    expect(alive(oldPid)).toBe(false);
    expect(readFileSync(log, 'utf8')).toMatch(
      new RegExp(`"pid":${oldPid}[^\\n]*"exitCode":0[^\\n]*"msg":"exiting"`),
    );
    expect((await exchange(port, '/')).body).toBe(`ok ${newPid}`);
    process.kill(newPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(newPid); i++) await sleep(100);
    expect(alive(newPid)).toBe(false);
    expect(() => readFileSync(pidFile)).toThrow();
  });
});

/** Waits (bounded) until the pid file holds a pid that `ok` accepts. */
async function pidIn(path: string, ok: (pid: number) => boolean): Promise<number> {
  for (let i = 0; i < 150; i++) {
    try {
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (ok(pid)) return pid;
    } catch {
      // Not written yet.
    }
    await sleep(100);
  }
  throw new Error(`no matching pid in ${path}`);
}

async function portFromLog(path: string, pid: number): Promise<number> {
  const re = new RegExp(`"pid":${pid}[^\\n]*"port":(\\d+)[^\\n]*"msg":"listening"`);
  for (let i = 0; i < 150; i++) {
    const m = re.exec(readFileSync(path, 'utf8'));
    if (m !== null) return Number(m[1]);
    await sleep(100);
  }
  throw new Error(`no listening line of ${pid} in ${path}`);
}

const MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

/** Sets net.ipv4.tcp_migrate_req for one test and restores it (needs root, Linux 5.14+). */
function sysctlMigrateReq(value: 0 | 1): Disposable {
  let before: string;
  try {
    before = readFileSync(MIGRATE_REQ, 'utf8');
    writeFileSync(MIGRATE_REQ, `${value}\n`);
  } catch (err) {
    throw new Error(
      `this test needs Linux 5.14+ and root to set ${MIGRATE_REQ}: ${(err as Error).message}`,
    );
  }
  return {
    [Symbol.dispose]() {
      writeFileSync(MIGRATE_REQ, before);
    },
  };
}
