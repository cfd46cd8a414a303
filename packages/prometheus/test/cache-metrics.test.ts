/**
 * Cache metrics: real events from @pingora-ts/cache's MemoryStorage (bytes
 * stored, evictions) plus lookup and lock-wait events published by name in
 * the documented shape; unknown statuses fold into `other`.
 */
import { channel } from 'node:diagnostics_channel';
import { CacheKey, CacheMeta, LruEvictionManager, MemoryStorage } from '@pingora-ts/cache';
import { ResponseHeader } from '@pingora-ts/http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_LOCK_WAIT_CHANNEL, CACHE_LOOKUP_CHANNEL } from '../src/cache-metrics.ts';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { parseExposition, sampleValue } from './utils/scrape.ts';

const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

describe('cache metrics', () => {
  it('counts lookups by status, bytes stored and evicted, lock waits', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    const lookups = channel(CACHE_LOOKUP_CHANNEL);
    for (const status of ['HIT', 'HIT', 'MISS', 'STALE', 'NOPE']) lookups.publish({ status });
    channel(CACHE_LOCK_WAIT_CHANNEL).publish({ ms: 30, status: 'Done' });
    // one shard: strict LRU, so the newest asset always stays
    const storage = new MemoryStorage({
      maxSizeBytes: 2000,
      eviction: new LruEvictionManager(2000, 1),
    });
    for (let i = 0; i < 3; i++) {
      const meta = new CacheMeta({ created: 0, freshUntil: 1, header: ResponseHeader.build(200) });
      const miss = storage.getMissHandler(new CacheKey('', `m${i}`), meta);
      miss.writeBody(Buffer.alloc(800), true);
      miss.finish();
    }
    const s = parseExposition(await m.registry.metrics());
    const lookup = (status: string) => sampleValue(s, 'pingora_cache_lookups_total', { status });
    expect([lookup('HIT'), lookup('MISS'), lookup('STALE'), lookup('other')]).toEqual([2, 1, 1, 1]);
    expect(sampleValue(s, 'pingora_cache_stored_items_total')).toBe(3);
    expect(sampleValue(s, 'pingora_cache_stored_bytes_total')).toBeGreaterThan(2400);
    expect(sampleValue(s, 'pingora_cache_evicted_items_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(s, 'pingora_cache_evicted_bytes_total')).toBeGreaterThan(800);
    expect(sampleValue(s, 'pingora_cache_lock_waits_total', { status: 'Done' })).toBe(1);
    expect(sampleValue(s, 'pingora_cache_lock_wait_seconds_count')).toBe(1);
  });
});
