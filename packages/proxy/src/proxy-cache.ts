/**
 * ProxyCache: the cache flow of HttpProxy (Pingora's proxy_cache.rs), made
 * only for a ProxyHttp with requestCacheFilter. Before upstream:
 * requestCacheFilter -> purge -> key -> predictor -> lookup loop (vary, hit
 * filter, cache lock, stale-while-revalidate) -> serve or go upstream with a
 * CacheTap. After: stale-if-error on upstream failures, serving a diverted
 * response, RFC 9111 invalidation, and the lookup event. With synchronous
 * filters and storage, a fresh hit is served without a promise.
 */
import {
  CacheKey,
  type CacheMeta,
  CachePhase,
  cacheLookupChannel,
  HitStatus,
  type HttpCache,
  LockStatus,
  type LookupResult,
  NoCacheReason,
} from '@pingora-ts/cache';
import { invalidatedTargets, onlyIfCached } from '@pingora-ts/cache/rfc9111';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { ResponseHeader } from '@pingora-ts/http';
import { serveFromCache } from './cache-serve.ts';
import { CacheTap } from './cache-tap.ts';
import { isPromise } from './maybe-promise.ts';
import type { ProxyHttp } from './proxy-http.ts';
import { type Session, sessionState } from './session.ts';

/** Lookups per request at most (vary re-lookups and lock waits): a bound, never reached in practice. */
const MAX_LOOKUPS = 16;

const TRUE = (): true => true;

/** Starts a stale-while-revalidate refresh in the background (see cache-background.ts). */
export type BackgroundRevalidate = (s: Session, cache: HttpCache) => void;

export class ProxyCache<Ctx> {
  readonly #inner: ProxyHttp<Ctx>;
  readonly #background: BackgroundRevalidate;

  constructor(inner: ProxyHttp<Ctx>, background: BackgroundRevalidate) {
    this.#inner = inner;
    this.#background = background;
  }

  /**
   * The cache phases between requestFilter and proxyUpstreamFilter. True
   * when the request was answered (hit, stale, purge); otherwise `next`
   * (proxyUpstreamFilter) decides. A promise only when a step had to wait.
   */
  requestPhases(
    s: Session,
    ctx: Ctx,
    next: (s: Session, ctx: Ctx) => boolean | Promise<boolean>,
  ): boolean | Promise<boolean> {
    const r = this.#inner.requestCacheFilter?.(s, ctx);
    if (isPromise(r)) return r.then(() => this.#afterCacheFilter(s, ctx, next));
    return this.#afterCacheFilter(s, ctx, next);
  }

  #afterCacheFilter(
    s: Session,
    ctx: Ctx,
    next: (s: Session, ctx: Ctx) => boolean | Promise<boolean>,
  ): boolean | Promise<boolean> {
    const inner = this.#inner;
    const cache = s.cacheState;
    const purge = inner.isPurge?.(s, ctx) ?? false;
    if (cache === undefined || !cache.enabled) {
      if (purge) return this.#purgeAnswer(s, ctx, 405).then(TRUE);
      return next(s, ctx);
    }
    if (inner.cacheKeyCallback === undefined) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'cacheKeyCallback is required once requestCacheFilter enables the cache',
      );
    }
    cache.setCacheKey(inner.cacheKeyCallback(s, ctx));
    if (purge) return this.#purge(s, ctx, cache).then(TRUE);
    const policy = cache.settings.policy;
    const req = s.reqHeader;
    const cacheable =
      policy !== undefined
        ? policy.isRequestCacheable(req)
        : req.method === 'GET' || req.method === 'HEAD';
    if (!cacheable) {
      cache.disable(NoCacheReason.Custom);
      return next(s, ctx);
    }
    const predictor = cache.settings.predictor;
    if (predictor !== undefined && !predictor.cacheablePrediction(cache.key)) {
      cache.bypass();
      return this.#toUpstream(s, ctx, cache, next);
    }
    const served = this.#lookup(s, ctx, cache);
    if (isPromise(served)) {
      return served.then((done) => done || this.#toUpstream(s, ctx, cache, next));
    }
    return served || this.#toUpstream(s, ctx, cache, next);
  }

  /** Not answered from cache: only-if-cached, then the CacheTap and `next`. */
  #toUpstream(
    s: Session,
    ctx: Ctx,
    cache: HttpCache,
    next: (s: Session, ctx: Ctx) => boolean | Promise<boolean>,
  ): boolean | Promise<boolean> {
    // only-if-cached: whatever made the request go upstream (miss, lock given up), it may not
    if (cache.settings.policy?.name === 'rfc9111' && onlyIfCached(s.reqHeader)) {
      cache.disable(NoCacheReason.DeclinedToUpstream);
      return s.respond(504).then(TRUE);
    }
    if (cache.enabled) sessionState(s).cacheTap = new CacheTap(this.#inner, s, ctx, cache);
    const go = next(s, ctx);
    if (isPromise(go)) return go.then((answered) => declined(cache, answered));
    return declined(cache, go);
  }

  /**
   * The first lookup; true when the request was served from cache. A fresh
   * hit found synchronously is served here (no promise unless serving
   * waits); everything else goes through the lookup loop.
   */
  #lookup(s: Session, ctx: Ctx, cache: HttpCache): boolean | Promise<boolean> {
    let r: LookupResult | undefined | Promise<LookupResult | undefined>;
    try {
      r = cache.lookup();
    } catch {
      // a storage that fails to answer is a miss without the cache (Pingora: StorageError)
      cache.disable(NoCacheReason.StorageError);
      return false;
    }
    if (!isPromise(r) && r !== undefined) {
      const served = this.#freshHit(s, ctx, cache, r);
      if (served !== undefined) return served;
    }
    return this.#lookupLoop(s, ctx, cache, r);
  }

  /**
   * `found` is a fresh hit of the request's variant and no cacheHitFilter
   * is there to overrule it: serve it. Undefined when the loop must decide
   * (the loop checks the variant again, which gives the same answer).
   */
  #freshHit(
    s: Session,
    ctx: Ctx,
    cache: HttpCache,
    found: LookupResult,
  ): boolean | Promise<boolean> | undefined {
    const inner = this.#inner;
    if (inner.cacheHitFilter !== undefined) return undefined;
    if (inner.cacheVaryFilter !== undefined) {
      const v = inner.cacheVaryFilter(found.meta, ctx, s.reqHeader);
      if (!cache.varyLookup(v, found.meta)) return undefined;
    }
    const now = cache.now();
    const status = statusOf(s, cache, found.meta, now);
    if (status !== HitStatus.Fresh && status !== HitStatus.ForceFresh) return undefined;
    cache.cacheFound(found.meta, found.hit, status);
    const r = serveFromCache(inner, s, ctx, cache, now);
    return isPromise(r) ? r.then(TRUE) : true;
  }

  /** The lookup loop, its first round on `first`; true when the request was served from cache. */
  async #lookupLoop(
    s: Session,
    ctx: Ctx,
    cache: HttpCache,
    first: LookupResult | undefined | Promise<LookupResult | undefined>,
  ): Promise<boolean> {
    const inner = this.#inner;
    const req = s.reqHeader;
    for (let round = 0; round < MAX_LOOKUPS; round++) {
      let found: LookupResult | undefined;
      try {
        const r = round === 0 ? first : cache.lookup();
        found = isPromise(r) ? await r : r;
      } catch {
        // a storage that fails to answer is a miss without the cache (Pingora: StorageError)
        cache.disable(NoCacheReason.StorageError);
        return false;
      }
      if (found !== undefined && inner.cacheVaryFilter !== undefined) {
        const v = inner.cacheVaryFilter(found.meta, ctx, req);
        if (!cache.varyLookup(v, found.meta)) {
          found.hit.finish();
          try {
            const r = cache.lookup();
            found = isPromise(r) ? await r : r;
          } catch {
            cache.disable(NoCacheReason.StorageError);
            return false;
          }
          if (found !== undefined && !cache.varyLookup(v, found.meta)) {
            found.hit.finish();
            found = undefined;
          }
        }
      }
      if (found !== undefined) {
        const now = cache.now();
        const fresh = found.meta.isFresh(now);
        let status = statusOf(s, cache, found.meta, now);
        if (inner.cacheHitFilter !== undefined) {
          const f = await inner.cacheHitFilter(s, found.meta, found.hit, fresh, ctx);
          if (f !== undefined) status = f;
        }
        if (status !== HitStatus.ForceMiss) {
          cache.cacheFound(found.meta, found.hit, status);
          if (cache.phase === CachePhase.Hit) {
            await serveFromCache(inner, s, ctx, cache);
            return true;
          }
          const swr =
            found.meta.serveStaleWhileRevalidate(now) &&
            (inner.shouldServeStale?.(s, ctx, undefined) ?? false);
          const l = cache.lock();
          const lock = isPromise(l) ? await l : l;
          if (lock !== undefined && lock !== 'write') {
            // someone else refreshes it: serve stale within SWR, else wait for them
            if (swr) {
              cache.setStale(true);
              await serveFromCache(inner, s, ctx, cache);
              return true;
            }
            if (await this.#waited(cache)) continue;
            return false;
          }
          if (swr) {
            cache.setStale(true);
            this.#background(s, cache);
            await serveFromCache(inner, s, ctx, cache);
            return true;
          }
          return false;
        }
        found.hit.finish();
      }
      // a distributed lock answers with a promise; the local one synchronously
      const l = cache.lock();
      const lock = isPromise(l) ? await l : l;
      if (lock !== undefined && lock !== 'write') {
        if (await this.#waited(cache)) continue;
        return false;
      }
      if (inner.cacheMiss !== undefined) inner.cacheMiss(s, ctx);
      else cache.cacheMiss();
      return false;
    }
    cache.disable(NoCacheReason.InternalError);
    return false;
  }

  /** Waits on the lock; true to look up again, false to go upstream (cache disabled). */
  async #waited(cache: HttpCache): Promise<boolean> {
    const status = await cache.waitLock();
    switch (status) {
      case LockStatus.GiveUp:
        cache.disable(NoCacheReason.CacheLockGiveUp);
        return false;
      case LockStatus.WaitTimeout:
        cache.disable(NoCacheReason.CacheLockTimeout);
        return false;
      default:
        cache.resetLookup();
        return true;
    }
  }

  async #purge(s: Session, ctx: Ctx, cache: HttpCache): Promise<void> {
    let status: number;
    try {
      const r = cache.settings.storage.purge(cache.key.toCompact(), 'invalidation');
      status = (isPromise(r) ? await r : r) ? 200 : 404;
    } catch {
      status = 500;
    }
    cache.disable(NoCacheReason.Custom);
    await this.#purgeAnswer(s, ctx, status);
  }

  async #purgeAnswer(s: Session, ctx: Ctx, status: number): Promise<void> {
    const resp = ResponseHeader.build(status);
    resp.insertHeader('Content-Length', 0);
    const f = this.#inner.purgeResponseFilter;
    if (f !== undefined) await f.call(this.#inner, s, ctx, resp);
    await s.writeResponseHeader(resp, true);
  }

  /**
   * The upstream failed before a response went downstream: serve the stale
   * asset when stale-if-error allows and shouldServeStale agrees. True when
   * served.
   */
  async serveStaleOnError(s: Session, ctx: Ctx, error: PingoraError): Promise<boolean> {
    const cache = s.cacheState;
    if (cache === undefined || s.responseStarted) return false;
    const meta = cache.meta;
    if (cache.phase !== CachePhase.Expired || meta === undefined) return false;
    if (!meta.serveStaleIfError(cache.now())) return false;
    const serve = this.#inner.shouldServeStale?.(s, ctx, error) ?? true;
    if (!serve) return false;
    cache.setStale(false);
    cache.abortMiss();
    await serveFromCache(this.#inner, s, ctx, cache);
    return true;
  }

  /** Answers from cache after the CacheTap diverted the upstream response (304, stale-if-error). */
  serveDiverted(s: Session, ctx: Ctx): Promise<void> {
    const cache = s.cacheState;
    if (cache === undefined) {
      return Promise.reject(
        PingoraError.explain(ErrorType.InternalError, 'diverted without cache'),
      );
    }
    try {
      const r = serveFromCache(this.#inner, s, ctx, cache);
      return isPromise(r) ? r : Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The request is over: invalidation (RFC 9111 §4.4), the lookup event, release what is held. */
  finish(s: Session): void {
    const cache = s.cacheState;
    if (cache === undefined) return;
    if (cache.hasKey) {
      const policy = cache.settings.policy;
      const resp = s.downstream.responseWritten;
      if (policy?.invalidatesOnUnsafe && resp !== undefined) this.#invalidate(s, cache, resp);
    }
    if (cacheLookupChannel.hasSubscribers && cache.hasKey) {
      cacheLookupChannel.publish({ status: cache.statusText });
    }
    cache.finish();
  }

  #invalidate(s: Session, cache: HttpCache, resp: ResponseHeader): void {
    const targets = invalidatedTargets(s.reqHeader, resp);
    if (targets.length === 0) return;
    const key = cache.key;
    const host = s.reqHeader.getHeader('host') ?? '';
    const storage = cache.settings.storage;
    // the request's own key, then same-host locations keyed as CacheKey.default does
    const keys = [key.withoutVariance()];
    for (const t of targets.slice(1)) keys.push(new CacheKey(key.namespace, host + t, key.userTag));
    for (const k of keys) {
      try {
        const r = storage.purge(k.toCompact(), 'invalidation');
        if (isPromise(r)) r.catch(() => {});
      } catch {
        // a failed invalidation leaves a stale asset, which its freshness bounds
      }
    }
  }
}

/** How a found asset is treated before cacheHitFilter: its freshness, then the policy's request directives. */
function statusOf(s: Session, cache: HttpCache, meta: CacheMeta, now: number): HitStatus {
  let status: HitStatus = meta.isFresh(now) ? HitStatus.Fresh : HitStatus.Expired;
  const policy = cache.settings.policy;
  if (policy !== undefined) {
    const verdict = policy.requestVerdict(s.reqHeader, meta, now);
    if (verdict === 'revalidate') status = HitStatus.ForceExpired;
    else if (verdict === 'serve-stale') status = HitStatus.ForceFresh;
  }
  return status;
}

/** `next` answered the request itself: nothing from upstream will be cached. */
function declined(cache: HttpCache, answered: boolean): boolean {
  if (answered) cache.disable(NoCacheReason.DeclinedToUpstream);
  return answered;
}
