import { describe, expect, it } from 'vitest';
import { TinyUfo } from '../src/index.ts';
import { MapLru, seededRandom, zipf } from './utils/workload.ts';

/**
 * Hit ratio on a Zipf(1) workload, read-through style as Pingora's
 * bench_hit_ratio (get; on a miss, put), against a plain LRU of the same
 * size fed the very same key sequence. Seeded, so the numbers are exact
 * from run to run.
 */
const ITEMS = 20_000;
const REQUESTS = 200_000;

function measure(cacheSize: number, seed: number): { ufo: number; lru: number } {
  const draw = zipf(ITEMS, 1, seededRandom(seed));
  const ufo = new TinyUfo<number, number>({
    totalWeightLimit: cacheSize,
    estimatedSize: cacheSize,
    seed,
  });
  const lru = new MapLru<number, number>(cacheSize);
  let ufoHits = 0;
  let lruHits = 0;
  let overLimit = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const key = draw();
    if (ufo.get(key) !== undefined) ufoHits++;
    else ufo.put(key, key, 1);
    if (lru.get(key) !== undefined) lruHits++;
    else lru.put(key, key);
    if (ufo.weight > cacheSize) overLimit++;
  }
  expect(overLimit).toBe(0);
  return { ufo: ufoHits / REQUESTS, lru: lruHits / REQUESTS };
}

describe('TinyUfo hit ratio', () => {
  for (const share of [0.005, 0.01, 0.05, 0.1, 0.25]) {
    it(`beats a plain LRU holding ${share * 100}% of the keys`, () => {
      const { ufo, lru } = measure(Math.round(ITEMS * share), 42);
      console.log(
        `zipf(1) ${ITEMS} keys, cache ${share * 100}%: TinyUFO ${(ufo * 100).toFixed(2)}%, LRU ${(lru * 100).toFixed(2)}% (+${((ufo - lru) * 100).toFixed(2)}pp)`,
      );
      expect(ufo).toBeGreaterThanOrEqual(lru);
    });
  }
});
