/**
 * Deterministic Zipf-distributed key draws for cache workload tests: key i
 * (0-based) has probability proportional to 1/(i+1)^s; a seeded xorshift
 * generator keeps runs reproducible.
 */
export function zipfKeys(count: number, universe: number, s: number, seed: number): number[] {
  const cdf = new Float64Array(universe);
  let sum = 0;
  for (let i = 0; i < universe; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  let x = seed | 0 || 1;
  const out: number[] = [];
  for (let n = 0; n < count; n++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = ((x >>> 0) / 0x100000000) * sum;
    let lo = 0;
    let hi = universe - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    out.push(lo);
  }
  return out;
}
