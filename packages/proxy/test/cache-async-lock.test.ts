/**
 * The proxy's cache phases over an asynchronous CacheKeyLock (the local
 * lock behind promises, standing in for one shared by instances): misses
 * and expired assets still make one origin fetch, readers past their wait
 * timeout go upstream without the cache.
 */
import {
  type CacheKey,
  type CacheKeyLock,
  type CacheKeyLockOptions,
  CacheLock,
  type CacheLocked,
} from '@pingora-ts/cache';
import { describe, expect, it } from 'vitest';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

class AsyncLock implements CacheKeyLock {
  readonly inner: CacheLock;
  readonly calls: (CacheKeyLockOptions | undefined)[] = [];
  constructor(ageTimeoutMs: number, waitTimeoutMs = ageTimeoutMs) {
    this.inner = new CacheLock({ ageTimeoutMs, waitTimeoutMs });
  }
  get ageTimeoutMs(): number {
    return this.inner.ageTimeoutMs;
  }
  get waitTimeoutMs(): number {
    return this.inner.waitTimeoutMs;
  }
  now(): number {
    return Date.now();
  }
  async lock(key: CacheKey, options?: CacheKeyLockOptions): Promise<CacheLocked> {
    this.calls.push(options);
    await new Promise((r) => setImmediate(r)); // a round trip's worth of asynchrony
    return this.inner.lock(key);
  }
}

const delayed =
  (ms: number, inner = cacheable('max-age=100')) =>
  (
    req: Parameters<ReturnType<typeof cacheable>>[0],
    res: Parameters<ReturnType<typeof cacheable>>[1],
    n: number,
  ) =>
    setTimeout(() => inner(req, res, n), ms);

describe('proxy cache over an asynchronous CacheKeyLock', () => {
  it('200 concurrent misses on one key: 1 origin fetch, every client the body', async () => {
    await using origin = await startScriptedOrigin(delayed(100));
    const lock = new AsyncLock(10_000);
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const all = await Promise.all(
      Array.from({ length: 200 }, () => request(p.port, '/async', { timeoutMs: 20_000 })),
    );
    expect(origin.count('/async')).toBe(1);
    for (const r of all) expect([r.status, r.body.toString()]).toEqual([200, 'hello world']);
    expect(lock.inner.size).toBe(0);
  }, 30_000);

  it('expired: one revalidation, the lock told it is a stale writer', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1'));
    const clock = new ManualClock();
    const lock = new AsyncLock(5000);
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, { settings: { lock } }),
    );
    await request(p.port, '/async-exp');
    clock.advance(2000);
    origin.script = delayed(100, cacheable('max-age=100'));
    lock.calls.length = 0;
    const rs = await Promise.all([1, 2, 3].map(() => request(p.port, '/async-exp')));
    expect(origin.count('/async-exp')).toBe(2);
    expect(rs.map((r) => r.headers['x-cache-status']).sort()).toEqual([
      'HIT',
      'HIT',
      'REVALIDATED',
    ]);
    expect(lock.calls.slice(0, 3)).toEqual(Array(3).fill({ staleWriter: true }));
  });

  it('readers past the wait timeout go upstream without the cache', async () => {
    await using origin = await startScriptedOrigin(delayed(400));
    const lock = new AsyncLock(10_000, 100);
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const rs = await Promise.all([1, 2, 3].map(() => request(p.port, '/async-slow')));
    expect(origin.count('/async-slow')).toBe(3);
    expect(rs.map((r) => r.headers['x-cache-status']).sort()).toEqual(['BYPASS', 'BYPASS', 'MISS']);
  });
});
