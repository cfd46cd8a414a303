/**
 * LRU micro-benchmark: @pingora-ts/lru (16 shards, typed-array lists) against
 * the usual JavaScript LRU, a Map re-inserted on every touch, at 10k entries
 * under a Zipf(1) stream over 100k keys: promote-on-read, and admit with
 * eviction to the limit (the read-through pattern's miss path). A uniform
 * stream over 12k keys is measured too: V8's Map slows down a lot when the
 * same hot keys are deleted and re-set over and over (the Zipf case), much
 * less when touches are spread out, and the peer deserves both.
 */
import { Lru } from '@pingora-ts/lru';
import { bench, do_not_optimize, group, summary } from 'mitata';

/** The peer: a Map in recency order (delete and re-set to promote), oldest evicted first. */
class MapLru<K, V> {
  readonly map = new Map<K, V>();
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
}

/** 64k draws of a Zipf(1) rank over `n` keys from a fixed-seed generator. */
function zipfKeys(n: number): Uint32Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / (i + 1);
  let s = 0x2545f491;
  const out = new Uint32Array(65_536);
  for (let j = 0; j < out.length; j++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const x = ((s >>> 0) / 4294967296) * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    out[j] = lo;
  }
  return out;
}

const SIZE = 10_000;
const keys = zipfKeys(100_000);
const lru = new Lru<number>({ shards: 16, weightLimit: SIZE, capacity: SIZE / 16 });
const peer = new MapLru<number, number>(SIZE);
for (let k = 0; k < SIZE; k++) {
  lru.admit(k, k, 1);
  peer.set(k, k);
}
let u = 0x1234567;
const uniform = Uint32Array.from({ length: 65_536 }, () => {
  u ^= u << 13;
  u ^= u >>> 17;
  u ^= u << 5;
  return (u >>> 0) % 12_000;
});
let i = 0;

group('lru: read (promote on hit), 10k entries, Zipf keys', () => {
  summary(() => {
    bench('Lru.get (16 shards)', () => do_not_optimize(lru.get(keys[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(keys[i++ & 65535]!)));
  });
});

group('lru: read (promote on hit), 10k entries, uniform keys', () => {
  summary(() => {
    bench('Lru.get (16 shards)', () => do_not_optimize(lru.get(uniform[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(uniform[i++ & 65535]!)));
  });
});

group('lru: read-through (get, on miss admit + evict to limit)', () => {
  summary(() => {
    bench('Lru get/admit/evictToLimit', () => {
      const k = keys[i++ & 65535]!;
      if (lru.get(k) === undefined) {
        lru.admit(k, k, 1);
        do_not_optimize(lru.evictToLimit());
      }
    });
    bench('Map re-insert LRU get/set', () => {
      const k = keys[i++ & 65535]!;
      if (peer.get(k) === undefined) peer.set(k, k);
    });
  });
});
