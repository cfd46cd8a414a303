import { describe, expect, it } from 'vitest';
import { CacheablePredictor, CacheKey, NoCacheReason } from '../src/index.ts';

describe('CacheablePredictor', () => {
  it('remembers uncacheable keys for lasting reasons only', () => {
    const p = new CacheablePredictor(10);
    const k = new CacheKey('', 'a');
    expect(p.cacheablePrediction(k)).toBe(true);
    expect(p.markUncacheable(k, NoCacheReason.StorageError)).toBe(false);
    expect(p.cacheablePrediction(k)).toBe(true);
    expect(p.markUncacheable(k, NoCacheReason.OriginNotCache)).toBe(true);
    expect(p.cacheablePrediction(k)).toBe(false);
    p.markCacheable(k);
    expect(p.cacheablePrediction(k)).toBe(true);
  });

  it('is bounded: the least recently marked keys are forgotten', () => {
    const p = new CacheablePredictor(100, 1);
    for (let i = 0; i < 1000; i++)
      p.markUncacheable(new CacheKey('', `k${i}`), NoCacheReason.OriginNotCache);
    expect(p.size).toBe(100);
    expect(p.cacheablePrediction(new CacheKey('', 'k0'))).toBe(true);
    expect(p.cacheablePrediction(new CacheKey('', 'k999'))).toBe(false);
  });
});
