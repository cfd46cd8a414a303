/**
 * HttpCache over the CacheKeyLock interface: the local CacheLock answers
 * synchronously (no promise on the request path), an asynchronous lock (as
 * a distributed one) is awaited, told when a request locks again, and a
 * broken one (rejecting) means no lock. A write still being stored keeps the
 * lock until the storage has it, even after the request ended.
 */
import { ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import {
  CacheKey,
  type CacheKeyLock,
  type CacheKeyLockOptions,
  CacheLock,
  type CacheLocked,
  CacheMeta,
  HitStatus,
  HttpCache,
  LockStatus,
  MemoryStorage,
  type Storage,
} from '../src/index.ts';

const meta = () =>
  new CacheMeta({
    created: Date.now(),
    freshUntil: Date.now() + 10_000,
    header: ResponseHeader.build(200),
  });

/** The local lock behind promises, recording the options of every lock() call. */
class AsyncLock implements CacheKeyLock {
  readonly inner = new CacheLock({ ageTimeoutMs: 5000 });
  readonly calls: (CacheKeyLockOptions | undefined)[] = [];
  readonly ageTimeoutMs = 5000;
  readonly waitTimeoutMs = 5000;
  now(): number {
    return Date.now();
  }
  async lock(key: CacheKey, options?: CacheKeyLockOptions): Promise<CacheLocked> {
    this.calls.push(options);
    await new Promise((r) => setImmediate(r));
    return this.inner.lock(key);
  }
}

function cacheWith(storage: Storage, lock: CacheKeyLock, path = 'k'): HttpCache {
  const c = new HttpCache();
  c.enable({ storage, lock });
  c.setCacheKey(new CacheKey('', path));
  return c;
}

describe('HttpCache with a CacheKeyLock', () => {
  it('the local lock answers synchronously', () => {
    const c = cacheWith(
      new MemoryStorage({ maxSizeBytes: 1 << 20 }),
      new CacheLock({ ageTimeoutMs: 1000 }),
    );
    expect(c.lock()).toBe('write');
  });

  it('an asynchronous lock is awaited; a second lock of the same request says relock', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const lock = new AsyncLock();
    const w = cacheWith(storage, lock);
    const r = cacheWith(storage, lock);
    const wl = w.lock();
    expect(wl).toBeInstanceOf(Promise);
    expect(await wl).toBe('write');
    const rl = await r.lock();
    expect(rl).not.toBe('write');
    expect(rl).not.toBeUndefined();
    const waited = r.waitLock();
    w.releaseLock(LockStatus.TransientError);
    expect(await waited).toBe(LockStatus.TransientError);
    // the reader competes again: now the writer, and the lock was told it is a relock
    expect(await r.lock()).toBe('write');
    expect(lock.calls).toEqual([undefined, undefined, { relock: true }]);
    r.finish();
    expect(lock.inner.size).toBe(0);
  });

  it('an expired asset locks as a stale writer', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const lock = new AsyncLock();
    const c = cacheWith(storage, lock);
    const now = Date.now();
    const old = new CacheMeta({
      created: now - 20_000,
      freshUntil: now - 10_000,
      header: ResponseHeader.build(200),
    });
    const miss = await storage.getMissHandler(c.key, old);
    await miss.writeBody(Buffer.from('old'), true);
    await miss.finish();
    const found = await c.lookup();
    c.cacheFound(found!.meta, found!.hit, HitStatus.Expired);
    expect(await c.lock()).toBe('write');
    expect(lock.calls).toEqual([{ staleWriter: true }]);
    c.finish();
  });

  it('a lock that rejects means no lock: the request fetches on its own', async () => {
    const broken: CacheKeyLock = {
      ageTimeoutMs: 1000,
      waitTimeoutMs: 1000,
      now: Date.now,
      lock: () => Promise.reject(new Error('backend down')),
    };
    const c = cacheWith(new MemoryStorage({ maxSizeBytes: 1 << 20 }), broken);
    expect(await c.lock()).toBeUndefined();
    expect(c.isWriter).toBe(false);
  });

  it('a request ending while its asset is being stored keeps the lock until Done', async () => {
    const memory = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    let store: (() => void) | undefined;
    // a storage whose finish() completes only when the test says so (as a remote one)
    const slow: Storage = {
      supportsStreamingPartialWrite: false,
      lookup: (k) => memory.lookup(k),
      purge: (k, t) => memory.purge(k, t),
      updateMeta: (k, m) => memory.updateMeta(k, m),
      async getMissHandler(k, m) {
        const miss = await memory.getMissHandler(k, m);
        return {
          writeBody: (b, eos) => miss.writeBody(b, eos),
          abort: () => miss.abort(),
          finish: async () => {
            await new Promise<void>((r) => {
              store = r;
            });
            return miss.finish();
          },
        };
      },
    };
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    const w = cacheWith(slow, lock);
    const r = cacheWith(slow, lock);
    expect(w.lock()).toBe('write');
    expect(r.lock()).not.toBe('write');
    const waited = r.waitLock();
    w.cacheMiss();
    expect(await w.setMissHandler(meta())).toBe(true);
    await w.writeBody(Buffer.from('body'), true);
    const finished = w.finishMiss();
    w.finish(); // the response went out; the store is still in flight
    await new Promise((r) => setImmediate(r));
    expect(lock.size).toBe(1);
    store?.();
    expect(await finished).toBe(4);
    expect(await waited).toBe(LockStatus.Done);
  });
});
