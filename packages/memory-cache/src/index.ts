/**
 * @pingora-ts/memory-cache: an in-memory TTL cache on TinyUFO and a
 * read-through cache that coalesces concurrent lookups of a key (mirrors
 * pingora-memory-cache).
 */
export {
  type CacheLookup,
  CacheStatus,
  type FreshLookup,
  isHit,
  type ReadThrough,
} from './cache-status.ts';
export {
  type CacheKey,
  MAX_CACHE_SIZE,
  MemoryCache,
  type MemoryCacheOptions,
} from './memory-cache.ts';
export {
  type Lookup,
  type LookupResult,
  type MultiLookup,
  type ReadOptions,
  RTCache,
  type RTCacheOptions,
} from './read-through.ts';
