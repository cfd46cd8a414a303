/**
 * What the cache changes in the request it sends upstream and how it judges
 * the answer (Pingora's filters::upstream::request_filter and the default
 * response_cache_filter): HEAD becomes GET so the body can be stored,
 * conditionals and Range are removed (the cache answers those itself), and
 * an expired asset's validators make the request conditional.
 */
import {
  type CacheMeta,
  type HttpCache,
  NoCacheReason,
  type RespCacheable,
} from '@pingora-ts/cache';
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { ProxyHttp } from './proxy-http.ts';
import type { Session } from './session.ts';

const STRIPPED = [
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'range',
];

/** Prepares `req` for the upstream of a cached request; `stale` is the asset to revalidate. */
export function cacheUpstreamRequest(req: RequestHeader, stale: CacheMeta | undefined): void {
  if (req.method === 'HEAD') req.method = 'GET';
  for (const name of STRIPPED) if (req.hasHeader(name)) req.removeHeader(name);
  if (stale === undefined) return;
  const lm = stale.header.getHeader('last-modified');
  if (lm !== undefined) req.insertHeader('If-Modified-Since', lm);
  const etag = stale.header.getHeader('etag');
  if (etag !== undefined) req.insertHeader('If-None-Match', etag);
}

const NOT_CACHEABLE: RespCacheable = { cacheable: false, reason: NoCacheReason.Custom };

/** responseCacheFilter, or its default: the policy of the cache settings, else uncacheable. */
export function responseCacheable<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  cache: HttpCache,
  resp: ResponseHeader,
): RespCacheable {
  if (inner.responseCacheFilter !== undefined) return inner.responseCacheFilter(s, resp, ctx);
  const policy = cache.settings.policy;
  if (policy === undefined) return NOT_CACHEABLE;
  return policy.responseCacheable(s.reqHeader, resp, cache.now());
}
