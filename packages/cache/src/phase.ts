/**
 * The states and reasons of the HTTP cache (Pingora's CachePhase,
 * NoCacheReason and HitStatus) as `as const` maps: the HttpCache state
 * machine moves through CachePhase; Disabled carries a NoCacheReason.
 */

/** Where a request is in the cache state machine. */
export const CachePhase = {
  /** Cache was never enabled, or was disabled (see `HttpCache.noCacheReason`). */
  Disabled: 'Disabled',
  /** Enabled but the key is not set yet. */
  Uninit: 'Uninit',
  /** Cache enabled but this request skips the lookup (e.g. predicted uncacheable); may still admit. */
  Bypass: 'Bypass',
  /** The key is set, lookup not done. */
  CacheKey: 'CacheKey',
  /** A fresh asset was found. */
  Hit: 'Hit',
  /** Not found: go upstream and maybe admit. */
  Miss: 'Miss',
  /** A stale asset was found and is served as is (stale-if-error or stale-while-revalidate). */
  Stale: 'Stale',
  /** A stale asset is served while another request refreshes it. */
  StaleUpdating: 'StaleUpdating',
  /** A stale asset was found: revalidate or fetch again. */
  Expired: 'Expired',
  /** The upstream said 304: the stored asset was refreshed and is served. */
  Revalidated: 'Revalidated',
  /** The upstream said 304 but the refreshed response is not cacheable: served, not refreshed. */
  RevalidatedNoCache: 'RevalidatedNoCache',
} as const;
export type CachePhase = (typeof CachePhase)[keyof typeof CachePhase];

/** Why the cache is disabled for a request. */
export const NoCacheReason = {
  NeverEnabled: 'NeverEnabled',
  OriginNotCache: 'OriginNotCache',
  ResponseTooLarge: 'ResponseTooLarge',
  PredictedResponseTooLarge: 'PredictedResponseTooLarge',
  StorageError: 'StorageError',
  InternalError: 'InternalError',
  Deferred: 'Deferred',
  DeclinedToUpstream: 'DeclinedToUpstream',
  UpstreamError: 'UpstreamError',
  CacheLockGiveUp: 'CacheLockGiveUp',
  CacheLockTimeout: 'CacheLockTimeout',
  /** A user callback decided (responseCacheFilter's default says so). */
  Custom: 'Custom',
} as const;
export type NoCacheReason = (typeof NoCacheReason)[keyof typeof NoCacheReason];

/** How a found asset is treated (cacheHitFilter may force one). */
export const HitStatus = {
  Expired: 'Expired',
  ForceExpired: 'ForceExpired',
  ForceMiss: 'ForceMiss',
  FailedHitFilter: 'FailedHitFilter',
  Fresh: 'Fresh',
  ForceFresh: 'ForceFresh',
} as const;
export type HitStatus = (typeof HitStatus)[keyof typeof HitStatus];

/** What cacheHitFilter may return to force how a found asset is treated. */
export const ForcedHit = {
  ForceExpired: 'ForceExpired',
  ForceMiss: 'ForceMiss',
  ForceFresh: 'ForceFresh',
} as const;
export type ForcedHit = (typeof ForcedHit)[keyof typeof ForcedHit];

/** Whether a HitStatus lets the asset be served without going upstream. */
export function isFreshHit(status: HitStatus): boolean {
  return status === HitStatus.Fresh || status === HitStatus.ForceFresh;
}

/** Whether a HitStatus treats the asset as if it were not there. */
export function isTreatedAsMiss(status: HitStatus): boolean {
  return status === HitStatus.ForceMiss || status === HitStatus.FailedHitFilter;
}

/** What X-Cache-Status says about a request. */
export type CacheStatusText = 'HIT' | 'MISS' | 'STALE' | 'EXPIRED' | 'REVALIDATED' | 'BYPASS';

/**
 * The X-Cache-Status of a request in `phase`: HIT, MISS, STALE, EXPIRED (an
 * expired asset fetched again: `fromExpired`), REVALIDATED (304) or BYPASS
 * (the cache was not used).
 */
export function cacheStatusText(phase: CachePhase, fromExpired: boolean): CacheStatusText {
  switch (phase) {
    case CachePhase.Hit:
      return 'HIT';
    case CachePhase.Miss:
      return fromExpired ? 'EXPIRED' : 'MISS';
    case CachePhase.Expired:
      return 'EXPIRED';
    case CachePhase.Stale:
    case CachePhase.StaleUpdating:
      return 'STALE';
    case CachePhase.Revalidated:
    case CachePhase.RevalidatedNoCache:
      return 'REVALIDATED';
    default:
      return 'BYPASS';
  }
}
