import { MemoryStorage } from '@pingora-ts/cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisStorage } from '../src/redis-storage.ts';
import { TieredStorage } from '../src/tiered-storage.ts';
import { startCachingProxy, startOrigin } from './utils/cache-proxy.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

const get = (port: number, path: string, method = 'GET') =>
  httpRequest(port, path, { method, headers: { host: 'shared.example' }, timeoutMs: 5000 }).catch(
    (err: unknown) => {
      throw new Error(`${method} ${path} on ${port}: ${String(err)}`);
    },
  );

describe('proxy instances sharing a Redis cache', () => {
  it('3 instances share hits and purges: the origin sees one fetch per object', async () => {
    await using origin = await startOrigin();
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = new NodeRedisClient({ port: server.port });
        await c.connect(2000);
        return c;
      }),
    );
    const proxies = await Promise.all(
      clients.map((c, i) =>
        startCachingProxy(
          i === 2
            ? new TieredStorage(new MemoryStorage({ maxSizeBytes: 1 << 20 }), new RedisStorage(c), {
                frontTtlMs: 1,
              })
            : new RedisStorage(c),
          () => origin.address,
        ),
      ),
    );
    const path = `/shared-${Math.random()}`;
    const first = await get(proxies[0]!.port, path);
    expect([first.status, first.headers['x-cache-status']]).toEqual([200, 'MISS']);
    // the write completes just after the response: wait until the asset is in Redis
    for (let i = 0; i < 100 && ((await clients[0]!.send(['DBSIZE'])) as number) < 2; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const p of proxies) {
      const r = await get(p.port, path);
      expect([r.status, r.headers['x-cache-status'], r.body.toString()]).toEqual([
        200,
        'HIT',
        `body of ${path}`,
      ]);
    }
    expect(origin.count(path)).toBe(1);
    // a purge through one instance is seen by the others
    expect((await get(proxies[1]!.port, path, 'PURGE')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5)); // the tiered instance's front TTL
    expect((await get(proxies[2]!.port, path)).headers['x-cache-status']).toBe('MISS');
    expect((await get(proxies[0]!.port, path)).headers['x-cache-status']).toBe('HIT');
    expect(origin.count(path)).toBe(2);
    for (const p of proxies) await p[Symbol.asyncDispose]();
    await Promise.all(clients.map((c) => c.close()));
  });

  it('Redis killed mid-load: every request still served (from the origin); hits again within 1 s of its return', async () => {
    await using redis = await RedisServer.start();
    await using origin = await startOrigin();
    const c = new NodeRedisClient({ port: redis.port, reconnectMaxMs: 200, commandTimeoutMs: 200 });
    await c.connect(2000);
    await using proxy = await startCachingProxy(new RedisStorage(c), () => origin.address);
    const failures: string[] = [];
    let backAt = 0;
    let hitAgainAt = 0;
    let stop = false;
    let served = 0;
    const load = async (n: number) => {
      for (let i = 0; i < 5000 && !stop; i++) {
        try {
          const r = await get(proxy.port, `/load-${n}`);
          if (r.status !== 200) failures.push(`status ${r.status}`);
          served++;
          if (backAt > 0 && hitAgainAt === 0 && r.headers['x-cache-status'] === 'HIT') {
            hitAgainAt = performance.now();
          }
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const loops = [0, 1, 2, 3].map(load);
    await new Promise((r) => setTimeout(r, 200));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 400));
    await redis.restart(); // empty: the next request per path misses, then hits
    backAt = performance.now();
    for (let i = 0; i < 300 && hitAgainAt === 0; i++) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(20);
    expect(hitAgainAt).toBeGreaterThan(0);
    expect(hitAgainAt - backAt).toBeLessThan(1000);
    await c.close();
  });
});
