/**
 * Seeded 32-bit hashing of keys for the count-min sketch: FNV-1a over the
 * string's UTF-16 code units (so a latin1 string and the Buffer of the same
 * bytes hash alike) or the bytes, finished with murmur3's fmix32 so every bit
 * avalanches. A random seed per sketch keeps an outsider from choosing keys
 * that collide with someone else's counters.
 */
import { randomBytes } from 'node:crypto';

/** What can be counted: a string, raw bytes, or a number. */
export type Key = string | Uint8Array | number;

/** murmur3's 32-bit finaliser. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 32-bit hash of `key` under `seed`. */
export function hashKey(key: Key, seed: number): number {
  let h = (seed ^ 0x811c9dc5) | 0;
  if (typeof key === 'string') {
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  } else if (typeof key === 'number') {
    // integers in the 32-bit range mix directly; anything else by its text
    if ((key | 0) === key) return fmix32(Math.imul(h ^ key, 0x01000193) ^ 0x9e3779b9);
    return hashKey(String(key), seed ^ 0x27d4eb2f);
  } else {
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  }
  return fmix32(h ^ key.length);
}

/** A random 32-bit seed. */
export function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}
