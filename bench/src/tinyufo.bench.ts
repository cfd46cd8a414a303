/**
 * TinyUFO micro-benchmark: reads and the read-through pattern (get; on a
 * miss, put) at 10k entries under a Zipf(1) stream over 100k keys, against a
 * Map re-inserted on every touch (the usual JavaScript LRU). Each run also
 * prints both caches' hit ratios on the same stream.
 */
import { TinyUfo } from '@pingora-ts/tinyufo';
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
const ufo = new TinyUfo<number, number>({ totalWeightLimit: SIZE, estimatedSize: SIZE, seed: 7 });
const peer = new MapLru<number, number>(SIZE);

// warm both on the stream, and report their hit ratios on a second pass
for (const k of keys) {
  if (ufo.get(k) === undefined) ufo.put(k, k, 1);
  if (peer.get(k) === undefined) peer.set(k, k);
}
let ufoHits = 0;
let peerHits = 0;
for (const k of keys) {
  if (ufo.get(k) === undefined) ufo.put(k, k, 1);
  else ufoHits++;
  if (peer.get(k) === undefined) peer.set(k, k);
  else peerHits++;
}
console.log(
  `tinyufo: hit ratio, 10k of 100k Zipf(1) keys: TinyUFO ${((100 * ufoHits) / keys.length).toFixed(2)}%, Map LRU ${((100 * peerHits) / keys.length).toFixed(2)}%`,
);
let i = 0;

group('tinyufo: read, 10k entries, Zipf keys', () => {
  summary(() => {
    bench('TinyUfo.get', () => do_not_optimize(ufo.get(keys[i++ & 65535]!)));
    bench('Map re-insert LRU get', () => do_not_optimize(peer.get(keys[i++ & 65535]!)));
  });
});

group('tinyufo: read-through (get, on miss put)', () => {
  summary(() => {
    bench('TinyUfo get/put', () => {
      const k = keys[i++ & 65535]!;
      if (ufo.get(k) === undefined) do_not_optimize(ufo.put(k, k, 1));
    });
    bench('Map re-insert LRU get/set', () => {
      const k = keys[i++ & 65535]!;
      if (peer.get(k) === undefined) peer.set(k, k);
    });
  });
});

group('tinyufo: put only (every put admits or is refused)', () => {
  summary(() => {
    bench('TinyUfo.put', () => {
      const k = keys[i++ & 65535]!;
      do_not_optimize(ufo.put(k, k, 1));
    });
    bench('Map re-insert LRU set', () => {
      const k = keys[i++ & 65535]!;
      peer.set(k, k);
    });
  });
});
