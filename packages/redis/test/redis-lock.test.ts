import { CacheKey, CacheMeta, LockStatus } from '@pingora-ts/cache';
import { ResponseHeader } from '@pingora-ts/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisCacheLock } from '../src/redis-lock.ts';
import { RedisStorage } from '../src/redis-storage.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

async function client(): Promise<NodeRedisClient> {
  const c = new NodeRedisClient({ port: server.port, commandTimeoutMs: 2000 });
  await c.connect(2000);
  return c;
}
let n = 0;
const key = () => new CacheKey('lock', `k${++n}-${Math.random()}`);

describe('RedisCacheLock across instances', () => {
  it('1,000 concurrent misses for one key over 3 instances: 1 origin fetch', async () => {
    const clients = await Promise.all([client(), client(), client()]);
    const instances = clients.map((c) => ({
      storage: new RedisStorage(c),
      lock: new RedisCacheLock(c, { ageTimeoutMs: 5000, pollIntervalMs: 5 }),
    }));
    const k = key();
    let fetches = 0;
    const origin = async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 50));
      return Buffer.from('from origin');
    };
    // one request as the proxy runs it: lookup, lock, wait or fetch, look up again
    const request = async (i: number): Promise<string> => {
      const { storage, lock } = instances[i % 3]!;
      const rk = new CacheKey(k.namespace, k.primary);
      for (let round = 0; round < 5; round++) {
        const found = await storage.lookup(rk);
        if (found !== undefined) {
          const b = await found.hit.readBody();
          return String(b);
        }
        const l = await lock.lock(rk);
        if (l.kind === 'write') {
          const body = await origin();
          const now = Date.now();
          const miss = storage.getMissHandler(
            rk,
            new CacheMeta({
              created: now,
              freshUntil: now + 60_000,
              header: ResponseHeader.build(200),
            }),
          );
          miss.writeBody(body, true);
          await miss.finish();
          await l.permit.release(LockStatus.Done);
          return body.toString();
        }
        const s = await l.lock.wait(lock.waitTimeoutMs);
        if (s === LockStatus.GiveUp || s === LockStatus.WaitTimeout) return 'upstream';
      }
      return 'too many rounds';
    };
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => request(i)));
    expect(fetches).toBe(1);
    expect(new Set(results)).toEqual(new Set(['from origin']));
    for (const i of instances) expect(i.lock.waiting).toBe(0);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('readers see GiveUp and Dangling; a new writer may lock after a release', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    const la = new RedisCacheLock(a, { ageTimeoutMs: 2000, pollIntervalMs: 5 });
    const lb = new RedisCacheLock(b, { ageTimeoutMs: 2000, pollIntervalMs: 5 });
    for (const status of [LockStatus.GiveUp, LockStatus.Dangling, LockStatus.TransientError]) {
      const k = key();
      const w = await la.lock(k);
      const r = await lb.lock(k);
      expect([w.kind, r.kind]).toEqual(['write', 'read']);
      const waited = r.kind === 'read' ? r.lock.wait(1000) : undefined;
      if (w.kind === 'write') await w.permit.release(status);
      expect(await waited).toBe(status);
      expect((await lb.lock(k)).kind).toBe('write');
    }
    await Promise.all([a.close(), b.close()]);
  });

  it('a reader gives up after its wait timeout; a lock past its age timeout is replaced', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    const la = new RedisCacheLock(a, { ageTimeoutMs: 300, pollIntervalMs: 5 });
    const lb = new RedisCacheLock(b, { ageTimeoutMs: 300, pollIntervalMs: 5 });
    const k = key();
    const w = await la.lock(k);
    const r = await lb.lock(k);
    if (r.kind !== 'read' || w.kind !== 'write') throw new Error('expected a writer and a reader');
    const t0 = Date.now();
    expect(await r.lock.wait(50)).toBe(LockStatus.WaitTimeout);
    expect(Date.now() - t0).toBeLessThan(250);
    expect(await r.lock.wait(1000)).toBe(LockStatus.AgeTimeout);
    expect(Date.now() - t0).toBeLessThan(700);
    const next = await lb.lock(k);
    expect(next.kind).toBe('write');
    // the old writer's late release does not free the new writer's lock
    await w.permit.release(LockStatus.Done);
    expect((await la.lock(k)).kind).toBe('read');
    await Promise.all([a.close(), b.close()]);
  });

  it('Redis unreachable: lock() lets the caller fetch on its own', async () => {
    const s = await RedisServer.start();
    const c = new NodeRedisClient({ port: s.port });
    await c.connect(2000);
    const l = new RedisCacheLock(c, { ageTimeoutMs: 1000 });
    await s.kill();
    await new Promise((r) => setTimeout(r, 50));
    const got = await l.lock(key());
    expect(got.kind).toBe('write');
    if (got.kind === 'write') await got.permit.release(LockStatus.Done);
    await c.close();
  });
});
