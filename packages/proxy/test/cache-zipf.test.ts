/**
 * Memory bound end to end: a Zipf-distributed workload over many more keys
 * than the cache holds, through the proxy over real sockets; the storage
 * never holds more than its byte bound, nothing stays in flight, and the
 * popular keys still hit.
 */
import { CacheLock, MemoryStorage } from '@pingora-ts/cache';
import { describe, expect, it } from 'vitest';
import { cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

/** Seeded Zipf(1.0) draws over `universe` keys. */
function zipf(count: number, universe: number, seed: number): number[] {
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 0; i < universe; i++) {
    sum += 1 / (i + 1);
    cdf.push(sum);
  }
  let x = seed;
  const out: number[] = [];
  for (let n = 0; n < count; n++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = ((x >>> 0) / 2 ** 32) * sum;
    let i = 0;
    while (cdf[i]! < r) i++;
    out.push(i);
  }
  return out;
}

describe('proxy cache: bounded memory under a Zipf workload', () => {
  for (const eviction of ['lru', 'tinyufo'] as const) {
    it(`stays within max_size_bytes (${eviction})`, async () => {
      await using origin = await startScriptedOrigin((req, res) => {
        const body = Buffer.alloc(1000 + (req.url?.length ?? 0), 'z');
        res.writeHead(200, { 'Cache-Control': 'max-age=100', 'Content-Length': body.length });
        res.end(body);
      });
      const max = 40_000;
      const storage = new MemoryStorage({ maxSizeBytes: max, eviction });
      const lock = new CacheLock({ ageTimeoutMs: 5000 });
      await using p = await startProxy(
        cachingProxy(() => origin.address, new ManualClock(), { settings: { storage, lock } }),
      );
      let hits = 0;
      const keys = zipf(600, 400, 7);
      for (let i = 0; i < keys.length; i += 4) {
        const batch = keys.slice(i, i + 4).map((k) => request(p.port, `/z/${k}`));
        for (const r of await Promise.all(batch)) {
          expect(r.body.length).toBeGreaterThan(1000);
          if (r.headers['x-cache-status'] === 'HIT') hits++;
        }
        expect(storage.bytes).toBeLessThanOrEqual(max);
      }
      expect(storage.writingBytes).toBe(0);
      expect(storage.eviction.evictedItems).toBeGreaterThan(0);
      expect(hits).toBeGreaterThan(60);
      expect(lock.size).toBe(0);
    });
  }
});
