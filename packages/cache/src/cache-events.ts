/**
 * The cache's diagnostics_channel events (`pingora-ts:cache:<event>`):
 * lookups by result, bytes stored, evictions and cache lock waits. The
 * prometheus package subscribes and turns them into metrics; publishing
 * costs a hasSubscribers check when nobody listens.
 */
import { channel } from 'node:diagnostics_channel';

/** A lookup ended: `status` is HIT, MISS, STALE, EXPIRED, REVALIDATED, BYPASS, ... */
export interface CacheLookupEvent {
  readonly status: string;
}
/** An asset became visible in storage. */
export interface CacheStoreEvent {
  readonly bytes: number;
}
/** Assets left storage to make room (or were refused by admission). */
export interface CacheEvictEvent {
  readonly items: number;
  readonly bytes: number;
}
/** A reader waited on the cache lock. */
export interface CacheLockWaitEvent {
  readonly ms: number;
  readonly status: string;
}

export const cacheLookupChannel = channel('pingora-ts:cache:lookup');
export const cacheStoreChannel = channel('pingora-ts:cache:store');
export const cacheEvictChannel = channel('pingora-ts:cache:evict');
export const cacheLockWaitChannel = channel('pingora-ts:cache:lock-wait');
