import { describe, expect, it } from 'vitest';
import { TinyUfo } from '../src/index.ts';

/** Pingora's test cache: weight limit 5, a sketch sized for 5 items, a fixed seed. */
function small(): TinyUfo<number, number> {
  const cache = new TinyUfo<number, number>({ totalWeightLimit: 5, estimatedSize: 5, seed: 2 });
  cache.put(1, 1, 1);
  cache.put(2, 2, 2);
  cache.put(3, 3, 2);
  return cache; // full now, everything in the small queue
}

describe('TinyUfo', () => {
  it('gets what was put, and nothing else', () => {
    const cache = new TinyUfo<string, string>({ totalWeightLimit: 10, estimatedSize: 10 });
    expect(cache.put('a', 'A')).toEqual([]);
    expect(cache.get('a')).toBe('A');
    expect(cache.peek('a')).toBe('A');
    expect(cache.get('b')).toBeUndefined();
    expect([cache.size, cache.weight]).toEqual([1, 1]);
  });

  it('evicts from the small queue first, oldest first', () => {
    const cache = small();
    expect([1, 2, 3].map((k) => cache.queueOf(k))).toEqual(['small', 'small', 'small']);
    const evicted = cache.put(4, 4, 3);
    expect(evicted.map((e) => e.data)).toEqual([1, 2]);
    expect([1, 2, 3, 4].map((k) => cache.queueOf(k))).toEqual([
      undefined,
      undefined,
      'small',
      'small',
    ]);
    expect(cache.weight).toBe(5);
  });

  it('moves an entry read while in the small queue to the main queue', () => {
    const cache = small();
    cache.get(1);
    cache.get(1);
    const evicted = cache.put(4, 4, 2);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]!.weight).toBe(2);
    expect(cache.queueOf(1)).toBe('main');
    // one of 2, 3 and 4 left (4 itself when TinyLFU preferred the victim)
    const gone = evicted[0]!.key;
    expect([2, 3, 4]).toContain(gone);
    expect(cache.queueOf(gone)).toBeUndefined();
    for (const k of [2, 3, 4].filter((k) => k !== gone)) expect(cache.queueOf(k)).toBe('small');
  });

  it('readmits an evicted key that is put again (it is now more popular)', () => {
    const cache = small();
    expect(cache.put(4, 4, 1).map((e) => e.data)).toEqual([1]);
    expect(cache.put(1, 1, 1).map((e) => e.data)).toEqual([2]);
    expect([1, 2, 3, 4].map((k) => cache.queueOf(k))).toEqual([
      'small',
      undefined,
      'small',
      'small',
    ]);
  });

  it('turns away a newcomer less popular than its victim; forcePut does not', () => {
    const denied = small();
    for (const [k, w] of [
      [1, 1],
      [2, 2],
      [3, 2],
    ] as const)
      denied.put(k, k, w);
    expect(denied.put(4, 4, 1)).toEqual([{ key: 4, data: 4, weight: 1 }]);
    expect([1, 2, 3, 4].map((k) => denied.queueOf(k))).toEqual([
      'small',
      'small',
      'small',
      undefined,
    ]);

    const forced = small();
    for (const [k, w] of [
      [1, 1],
      [2, 2],
      [3, 2],
    ] as const)
      forced.put(k, k, w);
    expect(forced.forcePut(4, 4, 1).map((e) => e.data)).toEqual([1]);
    expect([1, 2, 3, 4].map((k) => forced.queueOf(k))).toEqual([
      undefined,
      'small',
      'small',
      'small',
    ]);
  });

  it('evicts from the main queue once everything earned its way there', () => {
    const cache = small();
    for (const k of [1, 1, 2, 2, 3, 3]) cache.get(k);
    expect(cache.put(4, 4, 1).map((e) => e.data)).toEqual([1]);
    expect([1, 2, 3, 4].map((k) => cache.queueOf(k))).toEqual([undefined, 'main', 'main', 'small']);
    expect(cache.put(1, 1, 1).map((e) => e.data)).toEqual([4]);
    expect([1, 2, 3, 4].map((k) => cache.queueOf(k))).toEqual(['small', 'main', 'main', undefined]);
  });

  it('remove takes the entry out of its queue and its weight with it', () => {
    const cache = small();
    expect(cache.remove(1)).toBe(1);
    expect(cache.remove(3)).toBe(3);
    expect(cache.remove(3)).toBeUndefined();
    expect([cache.get(1), cache.get(3), cache.weight, cache.size]).toEqual([
      undefined,
      undefined,
      2,
      1,
    ]);
    for (const k of [5, 6, 7]) cache.put(k, k, 2);
    expect(cache.weight).toBeLessThanOrEqual(5);
    // re-putting a removed key leaves one entry, counted once
    cache.put(1, 10, 1);
    cache.remove(1);
    cache.put(1, 11, 1);
    expect(cache.get(1)).toBe(11);
    expect(cache.weight).toBeLessThanOrEqual(5);
  });

  it('replacing a value reweighs it and may evict to make room', () => {
    const cache = new TinyUfo<string, string>({ totalWeightLimit: 10, estimatedSize: 10 });
    cache.put('a', 'a1', 2);
    cache.put('b', 'b1', 2);
    expect(cache.put('a', 'a2', 3)).toEqual([]);
    expect([cache.get('a'), cache.weight]).toEqual(['a2', 5]);
    const evicted = cache.put('b', 'b2', 9);
    expect(cache.weight).toBeLessThanOrEqual(10);
    expect(evicted.length).toBeGreaterThan(0);
  });

  it('returns an entry heavier than the whole cache at once, dropping an older value', () => {
    const cache = new TinyUfo<string, string>({ totalWeightLimit: 4, estimatedSize: 4 });
    cache.put('k', 'old', 1);
    expect(cache.put('k', 'huge', 5)).toEqual([{ key: 'k', data: 'huge', weight: 5 }]);
    expect([cache.get('k'), cache.weight, cache.size]).toEqual([undefined, 0, 0]);
  });

  it('keys by string, number and bigint', () => {
    const cache = new TinyUfo<string | number | bigint, number>({
      totalWeightLimit: 10,
      estimatedSize: 10,
    });
    cache.put('1', 1);
    cache.put(1, 2);
    cache.put(1n, 3);
    cache.put(0.5, 4);
    cache.put(-0, 5);
    expect([cache.get('1'), cache.get(1), cache.get(1n), cache.get(0.5), cache.get(0)]).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('refuses bad sizes, weights and key types', () => {
    expect(() => new TinyUfo({ totalWeightLimit: 0, estimatedSize: 1 })).toThrow(RangeError);
    expect(() => new TinyUfo({ totalWeightLimit: 1, estimatedSize: 0 })).toThrow(RangeError);
    expect(() => new TinyUfo({ totalWeightLimit: 1, estimatedSize: 2e7 })).toThrow(/compact/);
    expect(
      new TinyUfo({ totalWeightLimit: 1, estimatedSize: 2e7, compact: true }).totalWeightLimit,
    ).toBe(1);
    const cache = new TinyUfo<number, number>({ totalWeightLimit: 4, estimatedSize: 4 });
    expect(() => cache.put(1, 1, 0)).toThrow(RangeError);
    expect(() => cache.put(1, 1, 1.5)).toThrow(RangeError);
    expect(() => cache.put({} as unknown as number, 1)).toThrow(TypeError);
    expect(cache.size).toBe(0);
  });
});
