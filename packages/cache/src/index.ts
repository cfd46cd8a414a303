/**
 * @pingora-ts/cache: HTTP caching for the proxy (mirrors pingora-cache):
 * cache-control, keys, metadata, policies, ranges, storage and eviction
 * interfaces with a bounded memory storage, the cache lock, the predictor
 * and the HttpCache state machine the proxy drives. The request-side rules
 * the proxy builds on are in `@pingora-ts/cache/rfc9111`.
 */
export { CacheControl } from './cache-control.ts';
export {
  type CompactCacheKey,
  CacheKey,
  isPrimaryKey,
  VarianceBuilder,
} from './key.ts';
export { CacheMeta, type CacheMetaInit } from './meta.ts';
export { decodeMeta, encodeMeta } from './meta-codec.ts';
export {
  CachePhase,
  type CacheStatusText,
  cacheStatusText,
  ForcedHit,
  HitStatus,
  isFreshHit,
  isTreatedAsMiss,
  NoCacheReason,
} from './phase.ts';
export {
  type CachePolicy,
  type CachePolicyOptions,
  pingoraPolicy,
  type RespCacheable,
  type Rfc9111Options,
  rfc9111Policy,
} from './policy.ts';
export {
  type ByteRange,
  ifRangeMatches,
  MAX_RANGES,
  parseRange,
  RangeBody,
  type RangeRequest,
  rangeRequestFor,
} from './range.ts';
export {
  type CacheEvictEvent,
  type CacheLockWaitEvent,
  type CacheLookupEvent,
  type CacheStoreEvent,
  cacheEvictChannel,
  cacheLockWaitChannel,
  cacheLookupChannel,
  cacheStoreChannel,
} from './cache-events.ts';
export {
  type EvictionKind,
  type EvictionManager,
  evictionManager,
  LruEvictionManager,
  TinyUfoEvictionManager,
} from './eviction.ts';
export { type CacheSettings, HttpCache } from './http-cache.ts';
export {
  CacheLock,
  type CacheLockOptions,
  type Locked,
  LockStatus,
  ReadLock,
  WritePermit,
} from './lock.ts';
export type {
  CacheKeyLock,
  CacheKeyLockOptions,
  CacheLocked,
  CacheReadLock,
  CacheWritePermit,
} from './key-lock.ts';
export { MemoryStorage, type MemoryStorageOptions } from './memory-storage.ts';
export { CacheablePredictor } from './predictor.ts';
export type {
  HitHandler,
  LookupResult,
  MissFinish,
  MissHandler,
  PurgeType,
  Storage,
} from './storage.ts';
