/**
 * Daemon mode on a real process: detach, pid file written and removed, the
 * parent waiting for ready (and failing on timeout or early exit), the drop
 * to user/group.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './utils/child.ts';
import { lineClient } from './utils/line-client.ts';
import { killChildrenAfterEach, start } from './utils/process-setup.ts';

killChildrenAfterEach();
// Real processes on a loaded machine: generous limits.
vi.setConfig({ testTimeout: 45_000 });

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
    // Daemon mode from the command line this time.
    const parent = start(['-d', '-c', tmp.write('conf.yaml', conf)]);
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
