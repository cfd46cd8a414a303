/**
 * The CLI path as a real process: graceful SIGTERM with a slow request in
 * flight, SIGINT, SIGQUIT through the upgrade phases, `-t` on good and bad
 * files, and daemon mode with its pid file and wait-for-ready.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Child, LINE_SERVER, spawnTs, tempDir } from './utils/child.ts';
import { lineClient, refused } from './utils/line-client.ts';

const children: Child[] = [];
function start(args: string[]): Child {
  const child = spawnTs(LINE_SERVER, args);
  children.push(child);
  return child;
}
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

async function portOf(child: Child): Promise<number> {
  const m = await child.waitFor(/listening (\[.*\])\n/);
  return (JSON.parse(m[1] as string) as Array<{ port: number }>)[0]?.port as number;
}

const CONF = `version: 1
grace_period_seconds: 10
graceful_shutdown_timeout_seconds: 2
fixture:
  listen: 127.0.0.1:0
`;

// Real processes on a loaded machine: generous limits.
vi.setConfig({ testTimeout: 45_000 });

describe('signals', () => {
  it('SIGTERM: the slow request in flight completes, new connections are refused, exit 0', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const port = await portOf(child);
    const busy = await lineClient(port);
    const idle = await lineClient(port);
    idle.send('ping');
    expect(await idle.line()).toBe('ok');
    busy.send('slow 1500');
    // Let the request reach the server before the signal.
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    child.proc.kill('SIGTERM');
    await child.waitFor(/phase GracefulTerminate/);
    // The idle keep-alive connection is closed at once; the listener is gone.
    await idle.closed();
    expect(await refused(port)).toBe(true);
    expect(await busy.line()).toBe('done 1500');
    await busy.closed();
    expect(await child.exited()).toBe(0);
    // Well inside the 10 s grace period: nothing was left in flight.
    expect(Date.now() - began).toBeLessThan(8_000);
    expect(child.stdout).toMatch(/ShutdownGracePeriod[\s\S]*ShutdownRuntimes[\s\S]*Terminated/);
  });

  it('SIGINT ends at once, cutting the request in flight', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const port = await portOf(child);
    const busy = await lineClient(port);
    busy.send('slow 20000');
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    child.proc.kill('SIGINT');
    await busy.closed();
    expect(await child.exited()).toBe(0);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(child.stdout).not.toMatch(/GracefulTerminate/);
  });

  it('SIGQUIT shuts down gracefully through the upgrade phases', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const port = await portOf(child);
    const busy = await lineClient(port);
    busy.send('slow 500');
    await new Promise((r) => setTimeout(r, 100));
    child.proc.kill('SIGQUIT');
    expect(await busy.line()).toBe('done 500');
    expect(await child.exited()).toBe(0);
    expect(child.stdout).toMatch(/phase GracefulUpgradeTransferringFds/);
    expect(child.stdout).toMatch(/phase Terminated/);
  });

  it('after the grace time, what is left is closed and the process exits 0', async () => {
    using tmp = tempDir();
    const conf = CONF.replace('grace_period_seconds: 10', 'grace_period_seconds: 0.5').replace(
      'graceful_shutdown_timeout_seconds: 2',
      'graceful_shutdown_timeout_seconds: 0.5',
    );
    const child = start(['-c', tmp.write('conf.yaml', conf)]);
    const port = await portOf(child);
    const busy = await lineClient(port);
    busy.send('slow 20000');
    await new Promise((r) => setTimeout(r, 200));
    child.proc.kill('SIGTERM');
    await busy.closed();
    expect(await child.exited()).toBe(0);
    expect(child.stderr).toMatch(/closing connections left/);
  });
});

describe('service dependencies in a process', () => {
  it('the listener starts only after the service it depends on is ready', async () => {
    using tmp = tempDir();
    const conf = `${CONF}  warmup_ms: 300\n`;
    const child = start(['-c', tmp.write('conf.yaml', conf)]);
    await portOf(child);
    expect(child.stdout.indexOf('warmup ready')).toBeGreaterThanOrEqual(0);
    expect(child.stdout.indexOf('warmup ready')).toBeLessThan(child.stdout.indexOf('listening'));
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });
});

describe('stopping during startup', () => {
  it('SIGTERM while a dependency warms up stops the server with exit 0', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', `${CONF}  warmup_ms: 60000\n`)]);
    await child.waitFor(/phase Running/);
    const began = Date.now();
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    // The warming service stops on the shutdown signal: no wait for the 10 s grace period.
    expect(Date.now() - began).toBeLessThan(8_000);
    expect(child.stdout).not.toMatch(/listening/);
    expect(child.stderr).not.toMatch(/startup failed/);
  });
});

describe('-t and configuration errors', () => {
  it('-t on a good file exits 0 without listening', async () => {
    using tmp = tempDir();
    const child = start(['-t', '-c', tmp.write('conf.yaml', CONF)]);
    expect(await child.exited()).toBe(0);
    expect(child.stdout).toMatch(/test is successful/);
    expect(child.stdout).not.toMatch(/listening/);
  });

  it('-t on a bad server key exits 1 with one message naming key and line', async () => {
    using tmp = tempDir();
    const path = tmp.write('bad.yaml', 'version: 1\n\ngrace_period_seconds: soon\n');
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr.trim()).toBe(
      `configuration error: ${path}:3:23: grace_period_seconds: expected a number from 0 to 86400, got the string "soon"`,
    );
  });

  it('-t validates the app settings too', async () => {
    using tmp = tempDir();
    const path = tmp.write(
      'bad.yaml',
      'version: 1\nfixture:\n  listen: 127.0.0.1:0\n  max_slow_ms: -5\n',
    );
    const child = start(['-t', '-c', path]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr).toMatch(
      new RegExp(`${path}:4:16: fixture.max_slow_ms: expected an integer >= 0`),
    );
  });

  it('a YAML syntax error, an unknown version and a missing file each exit 1 with a message', async () => {
    using tmp = tempDir();
    const cases: Array<[string, RegExp]> = [
      [tmp.write('a.yaml', 'version: 1\nfixture: [\n'), /a\.yaml:\d+:\d+: invalid YAML/],
      [tmp.write('b.yaml', 'version: 3\n'), /b\.yaml:1:10: version: unknown version 3/],
      [
        join(tmp.dir, 'missing.yaml'),
        /missing\.yaml: cannot read the configuration file \(ENOENT\)/,
      ],
    ];
    for (const [path, re] of cases) {
      const child = start(['-c', path]);
      expect(await child.exited()).toBe(1);
      expect(child.stderr).toMatch(re);
    }
  });

  it('a bad command line exits 1; --help exits 0', async () => {
    const bad = start(['--frobnicate']);
    expect(await bad.exited()).toBe(1);
    expect(bad.stderr).toMatch(/unexpected argument "--frobnicate"/);
    const help = start(['--help']);
    expect(await help.exited()).toBe(0);
    expect(help.stdout).toMatch(/-c, --conf <FILE>/);
  });

  it('a port already in use fails the start with exit 1', async () => {
    using tmp = tempDir();
    const first = start(['-c', tmp.write('a.yaml', CONF)]);
    const port = await portOf(first);
    const second = start([
      '-c',
      tmp.write('b.yaml', CONF.replace('127.0.0.1:0', `127.0.0.1:${port}`)),
    ]);
    expect(await second.exited()).toBe(1);
    expect(second.stderr).toMatch(/BindError/);
  });
});

describe('daemon mode', () => {
  it('detaches, writes the pid file, the parent waits for ready, SIGTERM removes the pid file', async () => {
    using tmp = tempDir();
    const pidFile = join(tmp.dir, 'server.pid');
    const log = join(tmp.dir, 'error.log');
    const conf = `version: 1
daemon: true
daemon_wait_for_ready: true
daemon_ready_timeout_seconds: 15
pid_file: ${pidFile}
error_log: ${log}
working_directory: ${tmp.dir}
grace_period_seconds: 2
graceful_shutdown_timeout_seconds: 1
fixture:
  listen: 127.0.0.1:0
`;
    const parent = start(['-c', tmp.write('conf.yaml', conf)]);
    expect(await parent.exited(20_000)).toBe(0);
    // Ready means listening: the pid file exists and the log has the bound port.
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(parent.proc.pid);
    const logText = readFileSync(log, 'utf8');
    const port = Number(/"bound":\{[^}]*"port":(\d+)/.exec(logText)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(logText).toMatch(/"cwd":"[^"]*pingora-ts-server-/);
    // Structured lines, each naming the service that wrote it.
    const lines = logText.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty('service');
    expect(logText).toMatch(/"service":"lines"/);
    try {
      const client = await lineClient(port);
      client.send('hello');
      expect(await client.line()).toBe('ok');
      client.socket.destroy();
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (existsSync(pidFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('drops to user and group once ready (when run as root)', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip();
    using tmp = tempDir();
    // The pid file is removed after the drop, so its directory must be writable by that user.
    chmodSync(tmp.dir, 0o777);
    const pidFile = join(tmp.dir, 'server.pid');
    const log = join(tmp.dir, 'error.log');
    const conf = `version: 1
daemon: true
daemon_wait_for_ready: true
daemon_ready_timeout_seconds: 15
user: nobody
group: nogroup
pid_file: ${pidFile}
error_log: ${log}
grace_period_seconds: 1
fixture:
  listen: 127.0.0.1:0
`;
    const parent = start(['-c', tmp.write('conf.yaml', conf)]);
    expect(await parent.exited(20_000)).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      const port = Number(/"bound":\{[^}]*"port":(\d+)/.exec(readFileSync(log, 'utf8'))?.[1]);
      const client = await lineClient(port);
      client.send('uid');
      expect(await client.line()).toBe('uid 65534 gid 65534');
      client.socket.destroy();
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (existsSync(pidFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('the parent exits non-zero when the daemon is not ready in time', async () => {
    using tmp = tempDir();
    const pidFile = join(tmp.dir, 'server.pid');
    const conf = `version: 1
daemon: true
daemon_wait_for_ready: true
daemon_ready_timeout_seconds: 0.5
pid_file: ${pidFile}
error_log: ${join(tmp.dir, 'error.log')}
fixture:
  listen: 127.0.0.1:0
  warmup_ms: 60000
`;
    const parent = start(['-c', tmp.write('conf.yaml', conf)]);
    try {
      expect(await parent.exited(20_000)).toBe(1);
      expect(readFileSync(join(tmp.dir, 'error.log'), 'utf8')).toMatch(
        /daemon not ready within 0\.5s/,
      );
    } finally {
      // As in Pingora the daemon is left running; the test stops it.
      const deadline = Date.now() + 5_000;
      while (!existsSync(pidFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // Not started or already gone.
      }
    }
  });

  it('the parent exits non-zero when the daemon dies before it is ready', async () => {
    using tmp = tempDir();
    const pidFile = join(tmp.dir, 'server.pid');
    // The daemon cannot bind (bad address for this host), so it exits before ready.
    const conf = `version: 1
daemon: true
daemon_wait_for_ready: true
daemon_ready_timeout_seconds: 10
pid_file: ${pidFile}
error_log: ${join(tmp.dir, 'error.log')}
fixture:
  listen: 192.0.2.1:1
`;
    const parent = start(['-c', tmp.write('conf.yaml', conf)]);
    expect(await parent.exited(20_000)).toBe(1);
    expect(parent.stderr + readFileSync(join(tmp.dir, 'error.log'), 'utf8')).toMatch(
      /daemon exited before it was ready|BindError/,
    );
  });
});
