/**
 * CacheTap: the ResponseTap of a request going upstream with the cache on.
 * On the head: a 304 to a revalidation refreshes the asset and diverts (the
 * asset is served); a 5xx within stale-if-error diverts to the stale asset;
 * otherwise responseCacheFilter and cacheVaryFilter decide and a MissHandler
 * starts. Body pieces are stored as they pass, and byte ranges the cache
 * took off the upstream request are applied to what goes downstream.
 */
import {
  CachePhase,
  type HttpCache,
  NoCacheReason,
  RangeBody,
  rangeRequestFor,
} from '@pingora-ts/cache';
import { mergeNotModified } from '@pingora-ts/cache/rfc9111';
import { PingoraError } from '@pingora-ts/error';
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { cacheUpstreamRequest, responseCacheable } from './cache-upstream.ts';
import type { ProxyHttp } from './proxy-http.ts';
import type { ResponseTap } from './response-tap.ts';
import type { Session } from './session.ts';

export class CacheTap<Ctx> implements ResponseTap {
  readonly #inner: ProxyHttp<Ctx>;
  readonly #s: Session;
  readonly #ctx: Ctx;
  readonly #cache: HttpCache;
  #rangeStripped = false;
  #range: RangeBody | undefined;

  constructor(inner: ProxyHttp<Ctx>, s: Session, ctx: Ctx, cache: HttpCache) {
    this.#inner = inner;
    this.#s = s;
    this.#ctx = ctx;
    this.#cache = cache;
  }

  get storing(): boolean {
    return this.#cache.writing;
  }

  upstreamRequest(req: RequestHeader): void {
    this.#rangeStripped = req.hasHeader('range');
    const c = this.#cache;
    cacheUpstreamRequest(req, c.phase === CachePhase.Expired ? c.meta : undefined);
  }

  responseHeader(resp: ResponseHeader, _endOfStream: boolean): boolean | Promise<boolean> {
    const c = this.#cache;
    if (c.phase === CachePhase.Expired) {
      if (resp.status === 304) return this.#revalidated(resp);
      const meta = c.meta;
      if (resp.status >= 500 && meta !== undefined && meta.serveStaleIfError(c.now())) {
        const error = PingoraError.httpStatus(resp.status, 'upstream answered with an error');
        const serve =
          this.#inner.shouldServeStale !== undefined
            ? this.#inner.shouldServeStale(this.#s, this.#ctx, error)
            : true;
        if (serve) {
          c.setStale(false);
          c.abortMiss();
          return false;
        }
      }
      c.cacheMiss();
    }
    let store: Promise<boolean> | undefined;
    if (c.phase === CachePhase.Miss || c.phase === CachePhase.Bypass) {
      if (resp.status === 304 || resp.status === 206 || resp.status < 200) {
        // not a full response to store (a 304 on a miss disables the cache, as in Pingora)
        c.disable(NoCacheReason.OriginNotCache);
      } else {
        store = this.#admit(resp);
      }
    }
    if (this.#rangeStripped && resp.status === 200) {
      const cl = resp.getHeader('content-length');
      if (cl !== undefined && /^\d+$/.test(cl)) {
        const inner = this.#inner;
        const rr =
          inner.rangeHeaderFilter !== undefined
            ? inner.rangeHeaderFilter(this.#s, resp, this.#ctx)
            : rangeRequestFor(this.#s.reqHeader, resp);
        if (rr.kind !== 'none') {
          // the stored head must stay the full 200
          const meta = c.meta;
          if (meta !== undefined && meta.header === resp) meta.header = resp.clone();
          this.#range = new RangeBody(rr, resp, Number(cl));
        }
      }
    }
    if (store === undefined) return true;
    return store.then(() => true);
  }

  async #admit(resp: ResponseHeader): Promise<boolean> {
    const c = this.#cache;
    const decision = responseCacheable(this.#inner, this.#s, this.#ctx, c, resp);
    if (!decision.cacheable) {
      c.uncacheable(decision.reason);
      return false;
    }
    const meta = decision.meta;
    if (meta.header === resp) meta.header = resp.clone();
    const vary = this.#inner.cacheVaryFilter;
    if (vary !== undefined) {
      const v = vary.call(this.#inner, meta, this.#ctx, this.#s.reqHeader);
      meta.variance = v;
      const key = c.key;
      // a variance that changed takes over the primary slot (Pingora's update_variance)
      if (key.variance !== undefined && (v === undefined || !key.variance.equals(v))) {
        key.variance = undefined;
      }
    }
    return c.setMissHandler(meta);
  }

  /** A 304 to our conditional request: merge, re-judge, refresh, then serve the asset. */
  async #revalidated(resp: ResponseHeader): Promise<boolean> {
    const c = this.#cache;
    const stored = c.meta;
    if (stored === undefined) return true;
    const policy = c.settings.policy;
    const merged =
      policy !== undefined
        ? policy.mergeNotModified(stored.header, resp)
        : mergeNotModified(stored.header, resp);
    const decision = responseCacheable(this.#inner, this.#s, this.#ctx, c, merged);
    if (decision.cacheable) {
      const meta = decision.meta;
      if (meta.header === merged) meta.header = merged.clone();
      await c.revalidated(meta);
    } else {
      c.revalidatedNoCache(decision.reason);
    }
    return false;
  }

  responseBody(body: Buffer | null, eos: boolean): Buffer | null {
    const c = this.#cache;
    if (c.writing) {
      try {
        const w = c.writeBody(body, eos);
        if (w !== undefined) w.catch(() => c.abortMiss());
      } catch {
        c.abortMiss();
      }
      if (eos) c.finishMiss().catch(() => c.abortMiss());
    }
    if (this.#range !== undefined && body !== null) return this.#range.filter(body);
    return body;
  }
}
