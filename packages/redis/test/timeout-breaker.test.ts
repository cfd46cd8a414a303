/**
 * A slow Redis (DEBUG SLEEP) costs a few command timeouts, then commands
 * fail at once until a probe is answered; the breaker's rules on an
 * injected clock.
 */
import { describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { TimeoutBreaker } from '../src/timeout-breaker.ts';

describe('TimeoutBreaker', () => {
  it('opens after N timeouts in a row, fails fast while cooling down, then lets one probe through', () => {
    let now = 0;
    const b = new TimeoutBreaker(3, 100, () => now);
    expect([b.timedOut(), b.timedOut()]).toEqual([false, false]);
    b.answered(); // an answer in time resets the count
    expect([b.timedOut(), b.timedOut(), b.timedOut()]).toEqual([false, false, true]);
    expect([b.open, b.failing, b.admit()]).toEqual([true, true, 'fail']);
    now = 100;
    expect(b.failing).toBe(false);
    expect(b.admit()).toBe('probe');
    expect(b.admit()).toBe('fail'); // one probe at a time
    expect(b.timedOut()).toBe(false); // the probe timed out: open again for the cooldown
    expect(b.admit()).toBe('fail');
    now = 200;
    expect(b.admit()).toBe('probe');
    b.probeFailed(); // e.g. the connection dropped: the next command probes
    expect(b.admit()).toBe('probe');
    expect(b.answered()).toBe(true);
    expect([b.open, b.admit()]).toEqual([false, 'send']);
  });
});

describe('NodeRedisClient on a stalled Redis', () => {
  it('fails fast after 3 timeouts in a row, says so, and is ready again once Redis answers', async () => {
    await using server = await RedisServer.start();
    const states: string[] = [];
    const c = new NodeRedisClient({
      port: server.port,
      commandTimeoutMs: 100,
      failFastAfterTimeouts: 3,
      failFastMs: 200,
      onState: (e) => states.push(e.state),
    });
    const blocker = new NodeRedisClient({ port: server.port, commandTimeoutMs: 5000 });
    try {
      await Promise.all([c.connect(2000), blocker.connect(2000)]);
      const sleeping = blocker.send(['DEBUG', 'SLEEP', '0.8']);
      await new Promise((r) => setTimeout(r, 20));
      for (let i = 0; i < 3; i++) {
        await expect(c.send(['PING'])).rejects.toMatchObject({ type: 'ReadTimedout' });
      }
      expect(c.ready).toBe(false);
      expect(states).toEqual(['ready', 'down']);
      const t0 = performance.now();
      await expect(c.send(['PING'])).rejects.toMatchObject({ type: 'ConnectError' });
      expect(performance.now() - t0).toBeLessThan(20);
      await sleeping;
      // after the cooldown one probe goes through: answered, the client is ready again
      for (let i = 0; i < 100 && !c.ready; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await c.send(['PING'])).toBe('PONG');
      expect(c.ready).toBe(true);
      expect(states).toEqual(['ready', 'down', 'ready']);
    } finally {
      await Promise.all([c.close(), blocker.close()]);
    }
  });
});
