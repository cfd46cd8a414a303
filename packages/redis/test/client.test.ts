import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient, reconnectDelay } from '../src/node-redis-client.ts';
import { RedisScript } from '../src/redis-like.ts';

describe('NodeRedisClient', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.kill());

  it('sends commands, returns bulk strings as Buffers, pipelines concurrent calls', async () => {
    const c = new NodeRedisClient({ port: server.port });
    expect(await c.connect(2000)).toBe(true);
    await c.send(['SET', 'k', Buffer.from([0, 1, 2])]);
    expect(await c.send(['GET', 'k'])).toEqual(Buffer.from([0, 1, 2]));
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => c.send(['INCRBY', 'n', i])),
    );
    expect(replies.at(-1)).toBe((199 * 200) / 2);
    await c.close();
  });

  it('runs scripts by SHA and loads them on NOSCRIPT', async () => {
    const c = new NodeRedisClient({ port: server.port });
    await c.connect(2000);
    await c.send(['SCRIPT', 'FLUSH']);
    const s = new RedisScript('return tonumber(ARGV[1]) + 1');
    expect(await c.evalScript(s, [], [41])).toBe(42);
    expect(await c.evalScript(s, [], [1])).toBe(2);
    await c.close();
  });

  it('bounds every command by its timeout, even once sent', async () => {
    const c = new NodeRedisClient({ port: server.port, commandTimeoutMs: 100 });
    const other = new NodeRedisClient({ port: server.port });
    await Promise.all([c.connect(2000), other.connect(2000)]);
    const t0 = Date.now();
    const slow = other.send(['DEBUG', 'SLEEP', '0.4']);
    await new Promise((r) => setTimeout(r, 20));
    await expect(c.send(['PING'])).rejects.toMatchObject({ type: 'ReadTimedout' });
    expect(Date.now() - t0).toBeLessThan(380);
    await slow;
    expect(await c.send(['PING'])).toBe('PONG');
    await Promise.all([c.close(), other.close()]);
  });

  it('fails fast while Redis is down and reconnects with backoff when it returns', async () => {
    const s = await RedisServer.start();
    const states: string[] = [];
    const c = new NodeRedisClient({
      port: s.port,
      reconnectMaxMs: 100,
      onState: (e) => states.push(e.state),
    });
    await c.connect(2000);
    await s.kill();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await expect(c.send(['PING'])).rejects.toMatchObject({ type: 'ConnectError' });
    expect(Date.now() - t0).toBeLessThan(50);
    expect(c.ready).toBe(false);
    await s.restart();
    const back = Date.now();
    for (let i = 0; i < 100 && !c.ready; i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.ready).toBe(true);
    expect(Date.now() - back).toBeLessThan(1000);
    expect(await c.send(['PING'])).toBe('PONG');
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('ready');
    await c.close();
    await s.kill();
  });

  it('reconnect delays double from min to max with bounded jitter', () => {
    for (let n = 0; n < 40; n++) {
      const d = reconnectDelay(n, 50, 500);
      const base = Math.min(500, 50 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(d).toBeLessThanOrEqual(base);
    }
  });
});
