/**
 * Shared by the cache benchmarks: the peer they race (a Map kept in recency
 * order) and a fixed-seed Zipf(1) key stream, so every cache sees the same
 * workload.
 */

/** The peer: a Map in recency order (delete and re-set to promote), oldest evicted first. */
export class MapLru<K, V> {
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
export function zipfKeys(n: number): Uint32Array {
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
