/**
 * Signals on a real process: graceful SIGTERM with a slow request in flight,
 * SIGINT, SIGQUIT through the upgrade phases, the grace time running out, a
 * stop during startup, and dependency order.
 */
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from './utils/child.ts';
import { lineClient, refused } from './utils/line-client.ts';
import { CONF, killChildrenAfterEach, portOf, start } from './utils/process-setup.ts';

killChildrenAfterEach();
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

  it('SIGINT ends at once (within 100 ms), cutting the requests in flight', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const port = await portOf(child);
    const busy = await Promise.all([lineClient(port), lineClient(port), lineClient(port)]);
    for (const c of busy) c.send('slow 20000');
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    child.proc.kill('SIGINT');
    expect(await child.exited()).toBe(0);
    await Promise.all(busy.map((c) => c.closed()));
    // Measured by the child's own log clock (the test's event loop may lag on a loaded machine).
    const at = (msg: string) => {
      const line = child.stderr.split('\n').find((l) => l.includes(`"msg":"${msg}"`));
      return (JSON.parse(line as string) as { time: number }).time;
    };
    expect(at('exiting') - at('SIGINT received')).toBeLessThanOrEqual(100);
    expect(Date.now() - began).toBeLessThan(2_000);
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

describe('uncaught exceptions', () => {
  it('are logged as fatal and exit 1', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const client = await lineClient(await portOf(child));
    client.send('crash');
    expect(await child.exited()).toBe(1);
    expect(child.stderr).toMatch(/"level":60.*fixture crash.*uncaught exception; exiting/s);
    // The exit hooks ran (and finished their async work) before the exit.
    expect(child.stdout).toMatch(/exit hook 1 uncaughtException fixture crash\n/);
  });

  it('an unhandled rejection runs the exit hooks with its origin, then exits 1', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    const client = await lineClient(await portOf(child));
    client.send('reject');
    expect(await child.exited()).toBe(1);
    expect(child.stdout).toMatch(/exit hook 1 unhandledRejection fixture rejection\n/);
  });

  it('a clean stop runs the exit hooks too', async () => {
    using tmp = tempDir();
    const child = start(['-c', tmp.write('conf.yaml', CONF)]);
    await portOf(child);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.stdout).toMatch(/exit hook 0 - -\n/);
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
