/**
 * Memory cache micro-benchmark: MemoryCache reads and puts with TTLs, and
 * RTCache reads that hit (one promise each), against a Map re-inserted on
 * every touch that also checks an expiry time (the usual JavaScript TTL LRU).
 * 10k entries, string keys drawn Zipf(1) from 100k.
 */
import { MemoryCache, RTCache } from '@pingora-ts/memory-cache';
import { bench, do_not_optimize, group, summary } from 'mitata';
import { zipfKeys } from './cache-workload.ts';

/** The peer: a Map in recency order with an expiry per entry, oldest evicted first. */
class MapTtlLru<V> {
  readonly map = new Map<string, { value: V; expireAt: number }>();
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined || e.expireAt <= performance.now()) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }
  set(key: string, value: V, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expireAt: performance.now() + ttlMs });
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
  }
}

/** The shared Zipf(1) key stream over `n` keys (cache-workload.ts), as host names. */
function zipfHostKeys(n: number): string[] {
  const names = Array.from({ length: n }, (_, i) => `host-${i}.example.com`);
  return Array.from(zipfKeys(n), (rank) => names[rank]!);
}

const SIZE = 10_000;
const TTL = 3_600_000;
const keys = zipfHostKeys(100_000);
const cache = new MemoryCache<string, number>({ size: SIZE, seed: 7 });
const peer = new MapTtlLru<number>(SIZE);
const rt = new RTCache<string, number>({ size: SIZE, seed: 7, lookup: () => ({ value: 1 }) });
for (let j = 0; j < keys.length; j++) {
  const k = keys[j]!;
  if (cache.get(k).status !== 'hit') cache.put(k, j, TTL);
  if (peer.get(k) === undefined) peer.set(k, j, TTL);
}
const hot = keys.slice(0, 4096).filter((k) => cache.get(k).status === 'hit');
for (const k of hot) await rt.get(k, { ttlMs: TTL });
const hotMask = hot.length;
let i = 0;

group('memory-cache: read a held key', () => {
  summary(() => {
    bench('MemoryCache.get', () => do_not_optimize(cache.get(hot[i++ % hotMask]!)));
    bench('Map TTL LRU get', () => do_not_optimize(peer.get(hot[i++ % hotMask]!)));
  });
});

group('memory-cache: read-through (get, on miss put with TTL)', () => {
  summary(() => {
    bench('MemoryCache get/put', () => {
      const k = keys[i++ & 65535]!;
      if (cache.get(k).status !== 'hit') cache.put(k, i, TTL);
    });
    bench('Map TTL LRU get/set', () => {
      const k = keys[i++ & 65535]!;
      if (peer.get(k) === undefined) peer.set(k, i, TTL);
    });
  });
});

group('memory-cache: RTCache hit (async)', () => {
  bench('RTCache.get hit', async () => do_not_optimize(await rt.get(hot[i++ % hotMask]!)));
});
