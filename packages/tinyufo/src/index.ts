/**
 * @pingora-ts/tinyufo: an in-memory cache with S3-FIFO eviction and TinyLFU
 * admission, bounded by total weight (mirrors Pingora's tinyufo).
 */
export type { Evicted } from './bucket.ts';
export type { TinyUfoKey } from './key-hash.ts';
export { MAX_SKETCH_COUNTERS } from './tiny-lfu.ts';
export { TinyUfo, type TinyUfoOptions, type TinyUfoQueue } from './tiny-ufo.ts';
