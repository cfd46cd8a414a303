/**
 * What a cache read found (Pingora's CacheStatus) and the result shapes that
 * carry it: a hit (or a hit after waiting on another caller's lookup), a
 * stale value served past its TTL with how long ago it expired, or nothing
 * (never there, or expired).
 */

export const CacheStatus = {
  /** Found and fresh. */
  Hit: 'hit',
  /** Not in the cache. */
  Miss: 'miss',
  /** In the cache but past its TTL (and not served). */
  Expired: 'expired',
  /** Not found at first, then found after waiting for a lookup another caller was doing. */
  LockHit: 'lock_hit',
  /** Past its TTL but served anyway; `staleMs` says by how much. */
  Stale: 'stale',
} as const;

export type CacheStatus = (typeof CacheStatus)[keyof typeof CacheStatus];

/** Whether a status means a value was served from the cache (hit, lock_hit or stale). */
export function isHit(status: CacheStatus): boolean {
  return status === 'hit' || status === 'lock_hit' || status === 'stale';
}

/** A MemoryCache read: a value with `hit` or `stale`, none with `miss` or `expired`. */
export type CacheLookup<V> =
  | { status: 'hit'; value: V }
  | { status: 'stale'; value: V; staleMs: number }
  | { status: 'miss' | 'expired'; value: undefined };

/** What get() answers: never `stale`, which only getStale() serves. */
export type FreshLookup<V> = Exclude<CacheLookup<V>, { status: 'stale' }>;

/** A read-through read: always a value; the status says where it came from. */
export type ReadThrough<V> =
  | { status: 'hit' | 'lock_hit' | 'miss' | 'expired'; value: V }
  | { status: 'stale'; value: V; staleMs: number };
