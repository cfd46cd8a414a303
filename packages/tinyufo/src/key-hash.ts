/**
 * Seeded 32-bit hashing of cache keys for the TinyLFU sketch: FNV-1a over a
 * string's UTF-16 code units, int32 numbers mixed directly, other numbers and
 * bigints by their decimal text, finished with murmur3's fmix32. Keys equal
 * as Map keys (SameValueZero, so 0 and -0) hash alike. The cache itself is
 * keyed by the real key, so a collision here only blurs a frequency estimate.
 */

/** What a TinyUfo is keyed by. */
export type TinyUfoKey = string | number | bigint;

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string, seed: number): number {
  let h = (seed ^ 0x811c9dc5) | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h ^ s.length);
}

/**
 * The 32-bit hash of `key` under `seed`. Throws TypeError for a key that is
 * not a string, number or bigint (the cache could store it, but not count it).
 */
export function hashKey(key: TinyUfoKey, seed: number): number {
  if (typeof key === 'string') return hashString(key, seed);
  if (typeof key === 'number') {
    if ((key | 0) === key) return fmix32(Math.imul(seed ^ key, 0x01000193) ^ 0x9e3779b9);
    return hashString(String(key), seed ^ 0x27d4eb2f);
  }
  if (typeof key === 'bigint') return hashString(key.toString(), seed ^ 0x165667b1);
  throw new TypeError(`TinyUfo key must be a string, number or bigint, got ${typeof key}`);
}
