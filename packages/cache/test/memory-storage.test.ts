import { ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { CacheKey, CacheMeta, LruEvictionManager, MemoryStorage } from '../src/index.ts';
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

  it('bounds the bytes of writes in progress; finishing or aborting gives them back', () => {
    const s = new MemoryStorage({ maxSizeBytes: 10_000, maxWritingBytes: 1000 });
    const a = s.getMissHandler(new CacheKey('', 'w1'), meta());
    const b = s.getMissHandler(new CacheKey('', 'w2'), meta());
    a.writeBody(Buffer.alloc(600), false);
    expect(() => b.writeBody(Buffer.alloc(600), false)).toThrow(/would pass 1000 bytes/);
    expect(s.writingBytes).toBe(600);
    a.abort();
    expect(s.writingBytes).toBe(0);
    b.writeBody(Buffer.alloc(600), true);
    b.finish();
    expect(s.writingBytes).toBe(0);
    expect(s.lookup(new CacheKey('', 'w2'))?.hit.bodyLength).toBe(600);
  });

  it('keeps its variant index to the variants it holds', async () => {
    const s = new MemoryStorage({ maxSizeBytes: 5000, eviction: new LruEvictionManager(5000, 1) });
    for (let i = 0; i < 200; i++) {
      const key = new CacheKey('', `p${i}`);
      key.variance = Buffer.alloc(16, i % 7);
      await put(s, key, 500);
    }
    expect(s.variantIndexSize).toBeLessThanOrEqual(s.size);
  });

  it('does not keep a small body as a view pinning a large read buffer', async () => {
    const s = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    const big = Buffer.alloc(65536, 1);
    const key = new CacheKey('', 'view');
    const miss = s.getMissHandler(key, meta());
    miss.writeBody(big.subarray(0, 10), true);
    miss.finish();
    const body = s.lookup(key)?.hit.readBody() as Buffer;
    expect(body.length).toBe(10);
    expect(body.buffer.byteLength).toBeLessThan(65536);
  });
});
