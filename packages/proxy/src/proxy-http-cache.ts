/**
 * The cache phases of ProxyHttp (Pingora's proxy_trait.rs cache methods),
 * all optional. They run only for a request whose requestCacheFilter called
 * `session.cache.enable(...)`; a proxy without requestCacheFilter never
 * touches the cache. Order: requestCacheFilter -> cacheKeyCallback ->
 * isPurge (-> purgeResponseFilter) -> lookup [cacheVaryFilter ->
 * cacheHitFilter] -> hit: cacheNotModifiedFilter, rangeHeaderFilter,
 * responseFilter | miss: cacheMiss -> proxyUpstreamFilter -> upstream ->
 * upstreamResponseFilter -> responseCacheFilter -> cacheVaryFilter -> store;
 * shouldServeStale on upstream errors and for stale-while-revalidate.
 */
import type {
  CacheKey,
  CacheMeta,
  ForcedHit,
  HitHandler,
  RangeRequest,
  RespCacheable,
} from '@pingora-ts/cache';
import type { PingoraError } from '@pingora-ts/error';
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { MaybePromise } from './proxy-http.ts';
import type { Session } from './session.ts';

export interface ProxyHttpCache<Ctx> {
  /**
   * Decides whether this request uses the cache and with what storage, lock,
   * predictor and policy: call `session.cache.enable(settings)`.
   * Default: nothing (the cache stays disabled).
   */
  requestCacheFilter?(session: Session, ctx: Ctx): MaybePromise<void>;

  /**
   * The cache key of the request. Required once the cache is enabled (there
   * is no safe default: a wrong key poisons the cache); without it the
   * request fails with an InternalError (Pingora panics).
   */
  cacheKeyCallback?(session: Session, ctx: Ctx): CacheKey;

  /** Whether this request is a purge. Default: false. */
  isPurge?(session: Session, ctx: Ctx): boolean;

  /**
   * Changes the purge answer (200 purged, 404 not found, 405 cache not
   * enabled, 500 storage error) before it is sent. Default: nothing.
   */
  purgeResponseFilter?(session: Session, ctx: Ctx, resp: ResponseHeader): MaybePromise<void>;

  /**
   * After a lookup found an asset (fresh or not): return a ForcedHit to
   * force a miss, an expiry or a fresh hit. Default: undefined (no change).
   */
  cacheHitFilter?(
    session: Session,
    meta: CacheMeta,
    hit: HitHandler,
    isFresh: boolean,
    ctx: Ctx,
  ): MaybePromise<ForcedHit | undefined>;

  /** Called when the lookup missed, before going upstream. Default: session.cache.cacheMiss(). */
  cacheMiss?(session: Session, ctx: Ctx): void;

  /**
   * Whether the upstream response may be stored, and its meta. Default: the
   * policy given to enable() decides; with none, Uncacheable (Custom), as in
   * Pingora.
   */
  responseCacheFilter?(session: Session, resp: ResponseHeader, ctx: Ctx): RespCacheable;

  /**
   * The variance hash of the request for an asset with `meta` (use
   * VarianceBuilder over the request fields the asset's Vary names).
   * Default: undefined (no variance: Vary is ignored).
   */
  cacheVaryFilter?(meta: CacheMeta, ctx: Ctx, req: RequestHeader): Buffer | undefined;

  /**
   * True when the request's conditions fail against the stored response so
   * a 304 can be sent. Default: If-None-Match (weak) or If-Modified-Since.
   */
  cacheNotModifiedFilter?(session: Session, resp: ResponseHeader, ctx: Ctx): boolean;

  /**
   * Whether to serve a stale asset: `error` undefined asks about
   * stale-while-revalidate, otherwise about stale-if-error after that
   * upstream error. Only asked within the asset's stale windows.
   * Default: false without an error, true with one.
   */
  shouldServeStale?(session: Session, ctx: Ctx, error: PingoraError | undefined): boolean;

  /**
   * Which byte ranges of a cached (or being cached) 200 to send.
   * Default: the Range header against Content-Length, with If-Range.
   */
  rangeHeaderFilter?(session: Session, resp: ResponseHeader, ctx: Ctx): RangeRequest;
}
