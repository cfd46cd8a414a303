/**
 * Three proxy instances (each its own memory tier in front of one shared
 * redis-server, each its own Redis connection) with the RedisCacheLock
 * plugged into the proxy's cache phases: 1,000 concurrent misses for one key
 * make one origin fetch; a stalled writer on another instance is replaced at
 * the age timeout; readers give up at their wait timeout; an uncacheable
 * answer lets every reader go upstream at once; Redis down = no lock, all
 * served; Redis stalled (DEBUG SLEEP) = served within the command timeout.
 */
import { MemoryStorage } from '@pingora-ts/cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisCacheLock, type RedisCacheLockOptions } from '../src/redis-lock.ts';
import { RedisStorage } from '../src/redis-storage.ts';
import { TieredStorage } from '../src/tiered-storage.ts';
import {
  type CountingOrigin,
  type OriginOptions,
  type Served,
  startCachingProxy,
  startOrigin,
} from './utils/cache-proxy.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

interface Fleet extends AsyncDisposable {
  readonly origin: CountingOrigin;
  readonly proxies: Served[];
  readonly locks: RedisCacheLock[];
}

async function fleet(
  lockOptions: RedisCacheLockOptions,
  originOptions: OriginOptions = {},
  port = server.port,
  commandTimeoutMs = 2000,
): Promise<Fleet> {
  const origin = await startOrigin(originOptions);
  const clients = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const c = new NodeRedisClient({
        name: `instance-${i}`,
        port,
        commandTimeoutMs,
        reconnectMaxMs: 200,
      });
      await c.connect(2000);
      return c;
    }),
  );
  const locks = clients.map((c) => new RedisCacheLock(c, { pollIntervalMs: 5, ...lockOptions }));
  const proxies = await Promise.all(
    clients.map((c, i) =>
      startCachingProxy(
        new TieredStorage(new MemoryStorage({ maxSizeBytes: 8 << 20 }), new RedisStorage(c)),
        () => origin.address,
        locks[i],
      ),
    ),
  );
  return {
    origin,
    proxies,
    locks,
    async [Symbol.asyncDispose]() {
      for (const p of proxies) await p[Symbol.asyncDispose]();
      await origin[Symbol.asyncDispose]();
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

const get = (port: number, path: string) =>
  httpRequest(port, path, { headers: { host: 'fleet.example' }, timeoutMs: 20_000 });

const unique = (name: string) => `/${name}-${Math.random().toString(36).slice(2)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisCacheLock in the proxy, 3 instances sharing one redis-server', () => {
  it('1,000 concurrent misses for one key over 3 instances: 1 origin fetch, every client the full body', async () => {
    const body = Buffer.alloc(96 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    await using f = await fleet(
      { ageTimeoutMs: 15_000, waitTimeoutMs: 15_000 },
      { delayMs: 200, body: () => body },
    );
    const path = unique('stampede');
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => get(f.proxies[i % 3]!.port, path)),
    );
    expect(f.origin.count(path)).toBe(1);
    const statuses = new Map<string, number>();
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.equals(body)).toBe(true);
      const s = String(r.headers['x-cache-status']);
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect(statuses.get('MISS')).toBe(1);
    expect(statuses.get('HIT')).toBe(999);
    for (const l of f.locks) expect(l.waiting).toBe(0);
  }, 60_000);

  it('an expired asset is revalidated once for the whole fleet', async () => {
    await using f = await fleet(
      { ageTimeoutMs: 10_000, waitTimeoutMs: 10_000 },
      { delayMs: 100, maxAgeSec: 1 },
    );
    const path = unique('expiring');
    expect((await get(f.proxies[0]!.port, path)).headers['x-cache-status']).toBe('MISS');
    await sleep(1100);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => get(f.proxies[i % 3]!.port, path)),
    );
    for (const r of results)
      expect([r.status, r.body.toString()]).toEqual([200, `body of ${path}`]);
    // one conditional request (304) refreshed it for everyone
    expect(f.origin.count(path)).toBe(2);
    const revalidated = results.filter((r) => r.headers['x-cache-status'] === 'REVALIDATED');
    expect(revalidated).toHaveLength(1);
  }, 30_000);

  it('a stalled writer on another instance: readers take over at the age timeout (1 more fetch)', async () => {
    await using f = await fleet(
      { ageTimeoutMs: 400, waitTimeoutMs: 10_000 },
      { stall: (p) => p.startsWith('/stalled') },
    );
    const path = unique('stalled');
    // instance 0 becomes the writer and its origin request hangs
    const writer = get(f.proxies[0]!.port, path);
    for (let i = 0; i < 200 && f.origin.count(path) === 0; i++) await sleep(5);
    expect(f.origin.count(path)).toBe(1);
    const started = performance.now();
    const readers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(f.proxies[1 + (i % 2)]!.port, path)),
    );
    const elapsed = performance.now() - started;
    // the lock aged out, one reader became the writer, the others found its asset
    expect(f.origin.count(path)).toBe(2);
    for (const r of readers)
      expect([r.status, r.body.toString()]).toEqual([200, `body of ${path}`]);
    expect(readers.filter((r) => r.headers['x-cache-status'] === 'MISS')).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    f.origin.unstall();
    expect((await writer).status).toBe(200);
  }, 30_000);

  it('readers past their wait timeout go upstream without the cache', async () => {
    await using f = await fleet(
      { ageTimeoutMs: 10_000, waitTimeoutMs: 300 },
      { stall: (p) => p.startsWith('/slow') },
    );
    const path = unique('slow');
    const writer = get(f.proxies[0]!.port, path);
    for (let i = 0; i < 200 && f.origin.count(path) === 0; i++) await sleep(5);
    const started = performance.now();
    const readers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => get(f.proxies[1 + (i % 2)]!.port, path)),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    for (const r of readers) {
      expect([r.status, r.headers['x-cache-status']]).toEqual([200, 'BYPASS']);
    }
    expect(f.origin.count(path)).toBe(11);
    f.origin.unstall();
    expect((await writer).headers['x-cache-status']).toBe('MISS');
  }, 30_000);

  it('an uncacheable answer gives the lock up: every reader goes upstream at once', async () => {
    await using f = await fleet(
      { ageTimeoutMs: 10_000, waitTimeoutMs: 10_000 },
      { delayMs: 300, uncacheable: (p) => p.startsWith('/private') },
    );
    const path = unique('private');
    const writer = get(f.proxies[0]!.port, path);
    for (let i = 0; i < 200 && f.origin.count(path) === 0; i++) await sleep(5);
    const readers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => get(f.proxies[1 + (i % 2)]!.port, path)),
    );
    expect((await writer).status).toBe(200);
    for (const r of readers)
      expect([r.status, r.headers['x-cache-status']]).toEqual([200, 'BYPASS']);
    expect(f.origin.count(path)).toBe(13);
    // GiveUp wakes them together (TransientError would elect one writer after another)
    expect(f.origin.maxInFlight(path)).toBeGreaterThan(2);
  }, 30_000);

  it('Redis down: the lock and the shared tier are bypassed, every request still served', async () => {
    await using redis = await RedisServer.start();
    await using f = await fleet(
      { ageTimeoutMs: 2000, waitTimeoutMs: 2000 },
      { delayMs: 20 },
      redis.port,
    );
    await redis.kill();
    const path = unique('down');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(f.proxies[i % 3]!.port, path)),
    );
    for (const r of results)
      expect([r.status, r.body.toString()]).toEqual([200, `body of ${path}`]);
    expect(f.origin.count(path)).toBeGreaterThanOrEqual(1);
    for (const l of f.locks) expect(l.waiting).toBe(0);
  }, 30_000);

  it('Redis stalled (DEBUG SLEEP): every request served within the command timeout, hits again after', async () => {
    await using redis = await RedisServer.start();
    await using f = await fleet(
      { ageTimeoutMs: 2000, waitTimeoutMs: 2000 },
      { delayMs: 20 },
      redis.port,
      150,
    );
    const path = unique('stalled-redis');
    expect((await get(f.proxies[0]!.port, path)).headers['x-cache-status']).toBe('MISS');
    const blocker = new NodeRedisClient({ port: redis.port, commandTimeoutMs: 5000 });
    await blocker.connect(2000);
    const sleeping = blocker.send(['DEBUG', 'SLEEP', '1.5']);
    await sleep(20);
    const started = performance.now();
    const other = unique('while-stalled');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(f.proxies[i % 3]!.port, i < 15 ? path : other)),
    );
    const elapsed = performance.now() - started;
    for (const r of results) expect(r.status).toBe(200);
    // bounded by the 150 ms command timeout (lookup, then the lock), not by the 1.5 s stall
    expect(elapsed).toBeLessThan(1200);
    await sleeping;
    await blocker.close();
    // Redis answers again: instance 2 (empty memory tier) finds the asset in Redis
    expect((await get(f.proxies[2]!.port, path)).headers['x-cache-status']).toBe('HIT');
  }, 30_000);
});
