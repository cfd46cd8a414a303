import { ResponseHeader } from '@pingora-ts/http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CacheablePredictor,
  CacheKey,
  CacheLock,
  CacheMeta,
  CachePhase,
  HitStatus,
  HttpCache,
  LockStatus,
  MemoryStorage,
  NoCacheReason,
  VarianceBuilder,
} from '../src/index.ts';

const meta = (extra: [string, string][] = []) => {
  const h = ResponseHeader.build(200);
  for (const [n, v] of extra) h.appendHeader(n, v);
  return new CacheMeta({ created: Date.now(), freshUntil: Date.now() + 10_000, header: h });
};

async function drain(c: HttpCache) {
  const r = c.hitHandler!.readBody();
  return r instanceof Promise ? await r : r;
}

describe('HttpCache', () => {
  it('walks enable -> key -> miss -> write -> hit', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const a = new HttpCache();
    expect([a.phase, a.noCacheReason]).toEqual([CachePhase.Disabled, NoCacheReason.NeverEnabled]);
    a.enable({ storage });
    a.setCacheKey(new CacheKey('', 'x'));
    expect(await a.lookup()).toBeUndefined();
    a.cacheMiss();
    expect(await a.setMissHandler(meta([['Content-Length', '2']]))).toBe(true);
    await a.writeBody(Buffer.from('ok'), true);
    expect(await a.finishMiss()).toBe(2);
    a.finish();

    const b = new HttpCache();
    b.enable({ storage });
    b.setCacheKey(new CacheKey('', 'x'));
    const found = await b.lookup();
    b.cacheFound(found!.meta, found!.hit, HitStatus.Fresh);
    expect(b.phase).toBe(CachePhase.Hit);
    expect((await drain(b))?.toString()).toBe('ok');
  });

  it('a second miss handler (a retried attempt) drops the first write', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const c = new HttpCache();
    c.enable({ storage });
    c.setCacheKey(new CacheKey('', 'retry'));
    c.cacheMiss();
    await c.setMissHandler(meta());
    await c.writeBody(Buffer.from('first attempt'), false);
    expect(storage.writingBytes).toBe(13);
    await c.setMissHandler(meta());
    expect(storage.writingBytes).toBe(0);
    await c.writeBody(Buffer.from('ok'), true);
    expect(await c.finishMiss()).toBe(2);
  });

  it('refuses transitions from the wrong phase', () => {
    const c = new HttpCache();
    expect(() => c.setCacheKey(new CacheKey('', 'x'))).toThrow(/setCacheKey in phase Disabled/);
    c.enable({ storage: new MemoryStorage({ maxSizeBytes: 100 }) });
    expect(() => c.cacheMiss()).toThrow(/cacheMiss in phase Uninit/);
  });

  it('max file size: Content-Length over it is not cached and the predictor remembers', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const predictor = new CacheablePredictor(10);
    const key = new CacheKey('', 'big');
    const c = new HttpCache();
    c.enable({ storage, predictor, maxFileSizeBytes: 4 });
    c.setCacheKey(key);
    c.cacheMiss();
    expect(await c.setMissHandler(meta([['Content-Length', '5']]))).toBe(false);
    expect([c.phase, c.noCacheReason]).toEqual([
      CachePhase.Disabled,
      NoCacheReason.ResponseTooLarge,
    ]);
    expect(predictor.cacheablePrediction(key)).toBe(false);
  });

  it('max file size: a chunked body that outgrows it stops being cached', async () => {
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const key = new CacheKey('', 'chunked');
    const c = new HttpCache();
    c.enable({ storage, maxFileSizeBytes: 4 });
    c.setCacheKey(key);
    c.cacheMiss();
    expect(await c.setMissHandler(meta())).toBe(true);
    await c.writeBody(Buffer.from('abc'), false);
    await c.writeBody(Buffer.from('de'), false);
    expect(c.writing).toBe(false);
    expect(await c.finishMiss()).toBe(0);
    expect(storage.lookup(key)).toBeUndefined();
  });

  it('vary: a different variance makes a second lookup; older variants are tombstoned', () => {
    const c = new HttpCache();
    c.enable({ storage: new MemoryStorage({ maxSizeBytes: 100 }) });
    c.setCacheKey(new CacheKey('', 'v'));
    const gzip = new VarianceBuilder().add('accept-encoding', 'gzip').finalize()!;
    const br = new VarianceBuilder().add('accept-encoding', 'br').finalize()!;
    const primary = meta();
    primary.variance = gzip;
    expect(c.varyLookup(gzip, primary)).toBe(true);
    expect(c.varyLookup(br, primary)).toBe(false);
    expect(c.key.variance).toEqual(br);
    const old = meta();
    old.variance = br;
    old.created = primary.created - 1;
    expect(c.varyLookup(br, old)).toBe(false);
    old.created = primary.created + 1;
    expect(c.varyLookup(br, old)).toBe(true);
  });

  describe('with a lock (fake clock)', () => {
    beforeEach(() => vi.useFakeTimers({ now: 0 }));
    afterEach(() => vi.useRealTimers());

    it('writer uncacheable -> readers GiveUp; finish without result -> Dangling', async () => {
      const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
      const lock = new CacheLock({ ageTimeoutMs: 1000 });
      const mk = () => {
        const c = new HttpCache();
        c.enable({ storage, lock });
        c.setCacheKey(new CacheKey('', 'l'));
        return c;
      };
      const w = mk();
      const r = mk();
      expect(w.lock()).toBe('write');
      expect(r.lock()).not.toBe('write');
      const p = r.waitLock();
      w.cacheMiss();
      w.uncacheable(NoCacheReason.OriginNotCache);
      expect(await p).toBe(LockStatus.GiveUp);

      const w2 = mk();
      const r2 = mk();
      w2.lock();
      r2.lock();
      const p2 = r2.waitLock();
      w2.finish();
      expect(await p2).toBe(LockStatus.Dangling);
    });

    it('wait timeout is cumulative over re-locks', async () => {
      const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
      const lock = new CacheLock({ ageTimeoutMs: 10_000, waitTimeoutMs: 1000 });
      const w = new HttpCache();
      w.enable({ storage, lock });
      w.setCacheKey(new CacheKey('', 'c'));
      w.lock();
      const r = new HttpCache();
      r.enable({ storage, lock });
      r.setCacheKey(new CacheKey('', 'c'));
      r.lock();
      const p = r.waitLock();
      await vi.advanceTimersByTimeAsync(600);
      w.releaseLock(LockStatus.TransientError);
      expect(await p).toBe(LockStatus.TransientError);
      // r becomes the writer; a third waits only what is left of its own budget
      expect(r.lock()).toBe('write');
      expect(r.lockWaitedMs).toBe(600);
    });
  });
});
