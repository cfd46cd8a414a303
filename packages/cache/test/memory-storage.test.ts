import { ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { CacheKey, CacheMeta, MemoryStorage } from '../src/index.ts';
import { storageConformance } from '../src/testing/index.ts';
import { zipfKeys } from './utils/zipf.ts';

storageConformance('MemoryStorage (lru)', () => new MemoryStorage({ maxSizeBytes: 1 << 22 }));
storageConformance(
  'MemoryStorage (tinyufo)',
  () => new MemoryStorage({ maxSizeBytes: 1 << 22, eviction: 'tinyufo' }),
);

const meta = () =>
  new CacheMeta({ created: 0, freshUntil: 1e15, header: ResponseHeader.build(200) });

async function put(s: MemoryStorage, key: CacheKey, size: number): Promise<void> {
  const miss = s.getMissHandler(key, meta());
  miss.writeBody(Buffer.alloc(size), true);
  miss.finish();
}

describe('MemoryStorage bounds', () => {
  it('refuses a bad size with a ConfigError', () => {
    expect(() => new MemoryStorage({ maxSizeBytes: 0 })).toThrow(/maxSizeBytes/);
  });

  for (const eviction of ['lru', 'tinyufo'] as const) {
    it(`stays within its byte bound under a Zipf workload larger than it (${eviction})`, async () => {
      const max = 200_000;
      const s = new MemoryStorage({ maxSizeBytes: max, eviction });
      let hits = 0;
      const keys = zipfKeys(20_000, 5_000, 1.0, 42);
      for (const k of keys) {
        const key = new CacheKey('z', `k${k}`);
        if (s.lookup(key) !== undefined) hits++;
        else await put(s, key, 500 + (k % 7) * 100);
        expect(s.bytes).toBeLessThanOrEqual(max);
      }
      expect(s.eviction.evictedItems).toBeGreaterThan(0);
      // the bound is real and the cache still does its job on a skewed workload
      expect(hits / keys.length).toBeGreaterThan(0.2);
    });
  }

  it('evicted assets are gone from lookup', async () => {
    const s = new MemoryStorage({ maxSizeBytes: 3000 });
    const keys = Array.from({ length: 10 }, (_, i) => new CacheKey('', `e${i}`));
    for (const k of keys) await put(s, k, 1000);
    const present = keys.filter((k) => s.lookup(k) !== undefined).length;
    expect(present).toBeLessThan(10);
    expect(s.size).toBe(present);
  });
});
