import { CacheablePredictor, CacheLock } from '@pingora-ts/cache';
import { describe, expect, it } from 'vitest';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

const delayed =
  (ms: number, inner = cacheable('max-age=100')) =>
  (
    req: Parameters<ReturnType<typeof cacheable>>[0],
    res: Parameters<ReturnType<typeof cacheable>>[1],
    n: number,
  ) =>
    setTimeout(() => inner(req, res, n), ms);

describe('proxy cache lock (Pingora test_cache_lock_*)', () => {
  it('1,000 concurrent misses on one key make exactly 1 origin fetch, every client gets the full body', async () => {
    const body = Buffer.alloc(64 * 1024, 'a').toString();
    await using origin = await startScriptedOrigin(delayed(200, cacheable('max-age=100', body)));
    const lock = new CacheLock({ ageTimeoutMs: 10_000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const all = await Promise.all(
      Array.from({ length: 1000 }, () => request(p.port, '/stampede', { timeoutMs: 30_000 })),
    );
    expect(origin.count('/stampede')).toBe(1);
    for (const r of all) {
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(body.length);
    }
    const statuses = new Set(all.map((r) => r.headers['x-cache-status']));
    expect(statuses.has('MISS')).toBe(true);
    expect([...statuses].every((s) => s === 'MISS' || s === 'HIT')).toBe(true);
    expect(lock.size).toBe(0);
  }, 60_000);

  it('miss then hit: readers wait for the writer', async () => {
    await using origin = await startScriptedOrigin(delayed(100));
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => request(p.port, '/lock-mh')));
    expect([a, b, c].map((r) => r!.body.toString())).toEqual(Array(3).fill('hello world'));
    expect(origin.count('/lock-mh')).toBe(1);
  });

  it('expired: one revalidation, the others wait and get the refreshed asset', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1'));
    const clock = new ManualClock();
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, { settings: { lock } }),
    );
    await request(p.port, '/lock-exp');
    clock.advance(2000);
    origin.script = delayed(100, cacheable('max-age=100'));
    const rs = await Promise.all([1, 2, 3].map(() => request(p.port, '/lock-exp')));
    expect(origin.count('/lock-exp')).toBe(2);
    expect(rs.map((r) => r.body.toString())).toEqual(Array(3).fill('hello world'));
    expect(rs.map((r) => r.headers['x-cache-status']).sort()).toEqual([
      'HIT',
      'HIT',
      'REVALIDATED',
    ]);
  });

  it('network error: the writer fails, a waiting reader becomes the next writer', async () => {
    let fail = true;
    await using origin = await startScriptedOrigin((req, res, n) => {
      if (fail && n === 1) {
        setTimeout(() => res.socket?.destroy(), 100);
        return;
      }
      cacheable('max-age=100')(req, res, n);
    });
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
      { maxRetries: 0 },
    );
    const rs = await Promise.all([1, 2, 3].map(() => request(p.port, '/lock-neterr')));
    fail = false;
    expect(rs.filter((r) => r.status === 502).length).toBe(1);
    expect(rs.filter((r) => r.body.toString() === 'hello world').length).toBe(2);
    expect(origin.count('/lock-neterr')).toBe(2);
  });

  it('uncacheable: readers give up on the lock and each go upstream', async () => {
    await using origin = await startScriptedOrigin(delayed(100, cacheable('no-store')));
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const rs = await Promise.all([1, 2, 3].map(() => request(p.port, '/lock-uc')));
    expect(rs.every((r) => r.body.toString() === 'hello world')).toBe(true);
    expect(origin.count('/lock-uc')).toBe(3);
  });

  it('age timeout: a writer slower than the lock age loses the key and a reader fetches itself', async () => {
    await using origin = await startScriptedOrigin((req, res, n) =>
      setTimeout(() => cacheable('max-age=100')(req, res, n), n === 1 ? 800 : 0),
    );
    const lock = new CacheLock({ ageTimeoutMs: 200, waitTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const first = request(p.port, '/lock-age');
    await new Promise((r) => setTimeout(r, 50));
    const second = await request(p.port, '/lock-age');
    expect(second.body.toString()).toBe('hello world');
    expect(origin.count('/lock-age')).toBe(2);
    expect((await first).body.toString()).toBe('hello world');
  });

  it('wait timeout: a reader stops waiting and goes upstream without the cache', async () => {
    await using origin = await startScriptedOrigin((req, res, n) =>
      setTimeout(() => cacheable('max-age=100')(req, res, n), n === 1 ? 3000 : 0),
    );
    const lock = new CacheLock({ ageTimeoutMs: 5000, waitTimeoutMs: 200 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const first = request(p.port, '/lock-wait');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const second = await request(p.port, '/lock-wait');
    // it gave up after ~200 ms instead of waiting out the writer's 3 s
    expect(Date.now() - started).toBeLessThan(2000);
    expect([second.body.toString(), second.headers['x-cache-status']]).toEqual([
      'hello world',
      'BYPASS',
    ]);
    expect((await first).headers['x-cache-status']).toBe('MISS');
  });

  it('predictor: a key seen uncacheable bypasses lookup and lock; once cacheable it is admitted', async () => {
    await using origin = await startScriptedOrigin(cacheable('no-store'));
    const predictor = new CacheablePredictor(100);
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock, predictor } }),
    );
    await request(p.port, '/pred');
    const bypassed = await Promise.all([1, 2].map(() => request(p.port, '/pred')));
    expect(bypassed.map((r) => r.headers['x-cache-status'])).toEqual(['BYPASS', 'BYPASS']);
    expect(origin.count('/pred')).toBe(3);
    origin.script = cacheable('max-age=100');
    await request(p.port, '/pred');
    expect((await request(p.port, '/pred')).headers['x-cache-status']).toBe('HIT');
  });
});
