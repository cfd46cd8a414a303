import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { CacheStatus, isHit, MemoryCache } from '../src/index.ts';

function cacheWithClock(size = 10) {
  const clock = { now: 1000 };
  const cache = new MemoryCache<string | number, number>({ size, clock: () => clock.now, seed: 1 });
  return { cache, clock };
}

function configError(fn: () => unknown): PingoraError {
  try {
    fn();
  } catch (err) {
    expect(PingoraError.is(err)).toBe(true);
    expect((err as PingoraError).type).toBe(ErrorType.ConfigError);
    return err as PingoraError;
  }
  throw new RangeError('expected a ConfigError');
}

describe('MemoryCache', () => {
  it('misses, hits after put, misses after remove', () => {
    const { cache } = cacheWithClock();
    expect(cache.get(1)).toEqual({ status: 'miss', value: undefined });
    cache.put(1, 2);
    cache.put(3, 4);
    expect(cache.get(1)).toEqual({ status: 'hit', value: 2 });
    cache.remove(1);
    expect(cache.get(1).status).toBe(CacheStatus.Miss);
    expect(cache.get(3)).toEqual({ status: 'hit', value: 4 });
    expect(cache.length).toBe(1);
  });

  it('expires at the TTL and serves stale values through getStale', () => {
    const { cache, clock } = cacheWithClock();
    cache.put('k', 7, 1000);
    clock.now += 999;
    expect(cache.get('k')).toEqual({ status: 'hit', value: 7 });
    clock.now += 1;
    expect(cache.get('k')).toEqual({ status: 'expired', value: undefined });
    expect(cache.getStale('k')).toEqual({ status: 'stale', value: 7, staleMs: 0 });
    clock.now += 150;
    expect(cache.getStale('k')).toEqual({ status: 'stale', value: 7, staleMs: 150 });
    expect(cache.getStale('none')).toEqual({ status: 'miss', value: undefined });
    cache.put('forever', 1);
    clock.now += 1e12;
    expect(cache.get('forever').status).toBe('hit');
  });

  it('does not store a value with a zero TTL', () => {
    const { cache } = cacheWithClock();
    cache.put('k', 1, 0);
    cache.forcePut('k', 1, 0);
    expect(cache.get('k').status).toBe('miss');
  });

  it('holds at most size entries', () => {
    const { cache } = cacheWithClock(2);
    cache.put(1, 2);
    cache.put(2, 4);
    cache.put(3, 6);
    expect(cache.get(1).status).toBe('miss');
    expect(cache.get(2)).toEqual({ status: 'hit', value: 4 });
    expect(cache.get(3)).toEqual({ status: 'hit', value: 6 });
    for (let i = 0; i < 100; i++) cache.put(i, i);
    expect(cache.length).toBeLessThanOrEqual(2);
  });

  it('multiGet and multiGetWithMiss keep key order', () => {
    const { cache } = cacheWithClock();
    cache.put(2, -2);
    expect(cache.multiGet([1, 2, 3]).map((r) => r.value)).toEqual([undefined, -2, undefined]);
    const [results, missed] = cache.multiGetWithMiss([1, 2, 3]);
    expect(results.map((r) => r.status)).toEqual(['miss', 'hit', 'miss']);
    expect(missed).toEqual([1, 3]);
  });

  it('refuses bad sizes, TTLs and keys with ConfigError', () => {
    configError(() => new MemoryCache({ size: 0 }));
    configError(() => new MemoryCache({ size: 1.5 }));
    configError(() => new MemoryCache({ size: 2 ** 30 }));
    const { cache } = cacheWithClock();
    expect(configError(() => cache.put('k', 1, -1)).message).toMatch(/TTL/);
    configError(() => cache.put('k', 1, Number.NaN));
    configError(() => cache.put({} as unknown as string, 1));
    expect(cache.length).toBe(0);
  });

  it('isHit counts hit, lock_hit and stale as hits', () => {
    expect(Object.values(CacheStatus).filter(isHit)).toEqual(['hit', 'lock_hit', 'stale']);
  });
});
