import { describe, expect, it } from 'vitest';
import { Lru } from '../src/index.ts';

/** The data of `shard` from most to least recently used. */
function order<T>(lru: Lru<T>, shard: number): T[] {
  const out: T[] = [];
  lru.iterShard(shard, (data) => out.push(data));
  return out;
}

describe('Lru', () => {
  it('admits to shard key % shards and keeps each shard most-recent first', () => {
    const lru = new Lru<number>({ shards: 2, weightLimit: 30 });
    for (const k of [2, 3, 4, 5, 6]) expect(lru.admit(k, k, k)).toBe(k % 2);
    expect(order(lru, 0)).toEqual([6, 4, 2]);
    expect(order(lru, 1)).toEqual([5, 3]);
    expect([lru.weight, lru.len]).toEqual([20, 5]);
    expect([lru.shardLen(0), lru.shardWeight(0), lru.shardLen(1), lru.shardWeight(1)]).toEqual([
      3, 12, 2, 8,
    ]);
  });

  it('re-admitting replaces data and weight and promotes', () => {
    const lru = new Lru<string>({ shards: 1, weightLimit: 100 });
    lru.admit(1, 'a', 1);
    lru.admit(2, 'b', 2);
    lru.admit(1, 'A', 5);
    expect(order(lru, 0)).toEqual(['A', 'b']);
    expect([lru.weight, lru.len]).toEqual([7, 2]);
    lru.admit(3, 'zero', 0); // a zero weight counts as 1
    expect(lru.peekWeight(3)).toBe(1);
  });

  it('promote, get and promoteTopN move to the head; peek and has do not', () => {
    const lru = new Lru<number>({ shards: 1, weightLimit: 100 });
    for (const k of [2, 3, 4]) lru.admit(k, k, k);
    expect(order(lru, 0)).toEqual([4, 3, 2]);
    expect(lru.promote(3)).toBe(true);
    expect(order(lru, 0)).toEqual([3, 4, 2]);
    expect(lru.get(2)).toBe(2);
    expect(order(lru, 0)).toEqual([2, 3, 4]);
    expect(lru.promote(5)).toBe(false);
    expect(lru.get(5)).toBeUndefined();
    expect(lru.peek(4)).toBe(4);
    expect(lru.has(4)).toBe(true);
    expect(order(lru, 0)).toEqual([2, 3, 4]);
    expect(lru.promoteTopN(3, 2)).toBe(true); // already in the top 2: stays
    expect(order(lru, 0)).toEqual([2, 3, 4]);
    expect(lru.promoteTopN(4, 2)).toBe(true);
    expect(order(lru, 0)).toEqual([4, 2, 3]);
    expect(lru.promoteTopN(9, 2)).toBe(false);
  });

  it('evictToLimit evicts least recently used first and counts it', () => {
    const lru = new Lru<number>({ shards: 1, weightLimit: 6 });
    for (const k of [2, 3, 4]) lru.admit(k, k, k);
    lru.promote(2);
    const evicted = lru.evictToLimit();
    expect(evicted).toEqual([{ key: 3, data: 3, weight: 3 }]);
    expect([lru.weight, lru.len, lru.evictedWeight, lru.evictedLen]).toEqual([6, 2, 3, 1]);
    expect(lru.evictToLimit()).toEqual([]);
  });

  it('evictToLimit spreads over shards and stops at the limit', () => {
    const lru = new Lru<number>({ shards: 2, weightLimit: 6, seed: 1 });
    for (const k of [2, 3, 4, 5, 6, 7]) lru.admit(k, k, 2);
    const evicted = lru.evictToLimit();
    expect([lru.weight, lru.len, evicted.length]).toEqual([6, 3, 3]);
    // the oldest of each shard goes first
    for (const e of evicted) expect([2, 3, 4, 5]).toContain(e.key);
  });

  it('honours lengthLimit (the watermark) even with zero-weight entries', () => {
    const lru = new Lru<number>({ shards: 2, weightLimit: 1e12, lengthLimit: 2 });
    for (let k = 0; k < 6; k++) lru.insertTail(k, k, 0);
    expect([lru.len, lru.weight]).toEqual([6, 0]);
    expect(lru.evictToLimit()).toHaveLength(4);
    expect(lru.len).toBe(2);
  });

  it('evictToLimit probes past empty shards (7 of 8 empty)', () => {
    const lru = new Lru<number>({ shards: 8, weightLimit: 2 });
    for (let k = 0; k < 8; k++) lru.admit(k * 8, k * 8, 1);
    const evicted = lru.evictToLimit();
    expect(lru.weight).toBe(2);
    expect(evicted.map((e) => e.key)).toEqual([0, 8, 16, 24, 32, 40]);
  });

  it('evicts more from the longer shard (power of two choices)', () => {
    let fromLong = 0;
    let total = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const lru = new Lru<number>({ shards: 2, weightLimit: 30, seed });
      for (let k = 0; k < 50; k++) lru.admit(k * 2, k, 1);
      for (let k = 0; k < 10; k++) lru.admit(k * 2 + 1, k, 1);
      const evicted = lru.evictToLimit();
      expect(lru.weight).toBeLessThanOrEqual(30);
      fromLong += evicted.filter((e) => (e.key as number) % 2 === 0).length;
      total += evicted.length;
    }
    // P2C gives ~0.75; uniform would give ~0.5, always-longest 1.0
    expect(fromLong / total).toBeGreaterThan(0.65);
    expect(fromLong / total).toBeLessThan(0.95);
  });

  it('remove, insertTail, incrementWeight, peekLru, evictShard', () => {
    const lru = new Lru<number>({ shards: 2, weightLimit: 100 });
    for (const k of [2, 3, 4, 5, 6]) lru.admit(k, k, k);
    expect(lru.remove(6)).toEqual({ data: 6, weight: 6 });
    expect(lru.remove(6)).toBeUndefined();
    expect([lru.weight, lru.len]).toEqual([14, 4]);
    expect(order(lru, 0)).toEqual([4, 2]);
    expect(lru.insertTail(7, 7, 7)).toBe(true);
    expect(lru.insertTail(5, 5, 9)).toBe(false);
    expect(order(lru, 1)).toEqual([5, 3, 7]);
    expect(lru.peekLru(1)).toEqual({ key: 7, data: 7, weight: 7 });
    expect(lru.peekLru(9)).toBeUndefined();
    expect(lru.incrementWeight(3, 2)).toBe(5);
    expect(order(lru, 1)).toEqual([3, 5, 7]);
    expect(lru.incrementWeight(3, 10, 6)).toBe(6);
    expect(lru.incrementWeight(99, 1)).toBeUndefined();
    expect(lru.weight).toBe(4 + 2 + 5 + 6 + 7);
    expect(lru.evictShard(3)).toEqual({ key: 7, data: 7, weight: 7 });
    expect(lru.evictShard(0)).toEqual({ key: 2, data: 2, weight: 2 });
    expect([lru.evictedLen, lru.evictedWeight]).toEqual([2, 9]);
  });

  it('re-admitting an entry inserted at the tail with weight 0 does not count it twice', () => {
    // regression: 0 as the old weight was taken to mean "new" (as in Pingora)
    const lru = new Lru<string>({ shards: 1, weightLimit: 10 });
    lru.insertTail(23, 'zero', 0);
    lru.admit(23, 'one', 0);
    expect([lru.len, lru.weight, lru.peek(23)]).toEqual([1, 1, 'one']);
  });

  it('takes u64 keys as bigint (small ones equal to numbers) and strings', () => {
    const lru = new Lru<string>({ shards: 4, weightLimit: 100 });
    lru.admit(7n, 'seven', 1);
    expect(lru.get(7)).toBe('seven');
    const big = (1n << 64n) - 1n;
    expect(lru.admit(big, 'max', 1)).toBe(Number(big % 4n));
    expect(lru.peek(big)).toBe('max');
    lru.admit('host:example.com', 'str', 1);
    expect(lru.get('host:example.com')).toBe('str');
    expect(lru.len).toBe(3);
    expect(lru.evictToLimit()).toEqual([]);
  });

  it('refuses keys and sizes outside their range with RangeError', () => {
    const lru = new Lru<number>({ shards: 2, weightLimit: 10 });
    expect(() => lru.admit(-1, 0, 1)).toThrow(RangeError);
    expect(() => lru.admit(1.5, 0, 1)).toThrow(RangeError);
    expect(() => lru.admit(2 ** 53, 0, 1)).toThrow(RangeError);
    expect(() => lru.admit(1n << 64n, 0, 1)).toThrow(RangeError);
    expect(() => lru.admit({} as unknown as number, 0, 1)).toThrow(RangeError);
    expect(() => lru.admit(1, 0, -1)).toThrow(RangeError);
    expect(() => lru.admit(1, 0, Number.NaN)).toThrow(RangeError);
    expect(() => new Lru({ shards: 0, weightLimit: 1 })).toThrow(RangeError);
    expect(() => new Lru({ shards: 1, weightLimit: -1 })).toThrow(RangeError);
    expect(() => lru.shardLen(2)).toThrow(RangeError);
    expect(lru.len).toBe(0);
  });

  it('refuses changes from inside iterShard', () => {
    const lru = new Lru<number>({ shards: 1, weightLimit: 10 });
    for (const k of [1, 2, 3]) lru.admit(k, k, 1);
    expect(() => lru.iterShard(0, (d) => lru.remove(d))).toThrow(RangeError);
  });

  it('reuses freed slots and grows past the reserved capacity', () => {
    const lru = new Lru<number>({ shards: 1, weightLimit: 1000, capacity: 2 });
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 1500; k++) lru.admit(k, k + round, 1);
      expect(lru.evictToLimit()).toHaveLength(500);
      expect(lru.len).toBe(1000);
      expect(lru.peek(1499)).toBe(1499 + round);
      for (let k = 0; k < 1500; k++) lru.remove(k);
      expect([lru.len, lru.weight]).toEqual([0, 0]);
    }
  });
});
