/**
 * LRU keys and their shards. Pingora keys its LRU by u64 (usually a hash the
 * caller already computed); here a key is a non-negative safe integer, a
 * bigint u64 (folded to a number when it fits, so 7n and 7 are one key) or a
 * string. Keys are stored as they are, never reduced to a hash, so two keys
 * never collide. Integers go to shard `key % shards` as in Pingora; strings
 * by an unseeded FNV-1a hash, so shard placement is reproducible.
 */

/** What an Lru is keyed by: u64 as a number (< 2^53) or bigint, or a string. */
export type LruKey = number | bigint | string;

const U64_LIMIT = 1n << 64n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The canonical form of `key` (bigints that fit become numbers). Throws
 * RangeError for negative, fractional or unsafe numbers, bigints outside
 * u64, and values of other types.
 */
export function canonicalKey(key: LruKey): number | bigint | string {
  if (typeof key === 'number') {
    if (key >= 0 && Number.isSafeInteger(key)) return key;
    throw new RangeError(
      `Lru key must be a non-negative safe integer, a u64 bigint or a string, got ${String(key)}`,
    );
  }
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint') {
    if (key < 0n || key >= U64_LIMIT) {
      throw new RangeError(`Lru bigint key must be within u64, got ${key}`);
    }
    return key <= SAFE ? Number(key) : key;
  }
  throw new RangeError(`Lru key must be a number, bigint or string, got ${typeof key}`);
}

/** The 32-bit FNV-1a hash of a string's UTF-16 code units, finished with murmur3's fmix32. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= s.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard of a canonical key among `shards`. */
export function shardOf(key: number | bigint | string, shards: number): number {
  if (typeof key === 'number') return key % shards;
  if (typeof key === 'string') return hashString(key) % shards;
  return Number(key % BigInt(shards));
}
