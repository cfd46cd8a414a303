/**
 * @pingora-ts/lru: a weighted, sharded LRU with O(1) admit, promote, remove
 * and evict over typed-array linked lists (mirrors pingora-lru).
 */
export type { LruKey } from './key.ts';
export { Lru, type LruEntry, type LruOptions } from './lru.ts';
