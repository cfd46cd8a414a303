/**
 * The request side of RFC 9111 and the conditional helpers both policies
 * share: request directives (max-age, min-fresh, max-stale, no-cache,
 * only-if-cached), merging a 304 into the stored head (Pingora's five
 * fields, or every field as §3.2 asks), downstream 304 from a stored
 * response (RFC 9110 §13) and the URIs an unsafe method invalidates (§4.4).
 */
import { type RequestHeader, type ResponseHeader, trimOws } from '@pingora-ts/http';
import { CacheControl } from './cache-control.ts';
import { parseHttpDate } from './http-date.ts';
import type { CacheMeta } from './meta.ts';

/**
 * What the request allows for a found asset: 'default' (decide by freshness),
 * 'revalidate' (treat as expired), 'serve-stale' (serve even if stale).
 */
export type RequestVerdict = 'default' | 'revalidate' | 'serve-stale';

/** RFC 9111 §5.2.1: the request's own cache directives applied to a stored asset. */
export function requestVerdict(req: RequestHeader, meta: CacheMeta, now: number): RequestVerdict {
  const cc = CacheControl.fromHeaders(req);
  if (cc === undefined) {
    // §5.4: Pragma: no-cache counts only without Cache-Control
    const pragma = req.getHeader('pragma');
    if (pragma !== undefined && /(^|,)[ \t]*no-cache[ \t]*(,|$)/i.test(pragma)) return 'revalidate';
    return 'default';
  }
  if (cc.noCache || cc.has('no-cache')) return 'revalidate';
  const age = meta.ageSec(now);
  const maxAge = cc.maxAge;
  if (maxAge !== undefined && !Number.isNaN(maxAge) && age > maxAge) return 'revalidate';
  const minFresh = cc.deltaSeconds('min-fresh');
  if (
    minFresh !== undefined &&
    !Number.isNaN(minFresh) &&
    meta.freshUntil - now < minFresh * 1000
  ) {
    return 'revalidate';
  }
  if (!meta.isFresh(now) && cc.has('max-stale')) {
    const respCc = meta.cacheControl();
    if (respCc?.mustRevalidate || respCc?.proxyRevalidate || respCc?.has('s-maxage')) {
      return 'default';
    }
    const maxStale = cc.deltaSeconds('max-stale');
    if (maxStale === undefined) return 'serve-stale';
    if (!Number.isNaN(maxStale) && now - meta.freshUntil <= maxStale * 1000) return 'serve-stale';
  }
  return 'default';
}

/** Whether the request says only-if-cached (answer 504 rather than go upstream). */
export function onlyIfCached(req: RequestHeader): boolean {
  return CacheControl.fromHeaders(req)?.onlyIfCached === true;
}

/** The fields Pingora takes from a 304 into the stored head. */
const PINGORA_304_FIELDS = ['cache-control', 'expires', 'cache-tag', 'cdn-cache-control', 'etag'];

/** Fields a 304 must not change in a stored head (they describe the stored body or one hop). */
const KEEP_ON_304 = new Set([
  'content-length',
  'content-encoding',
  'content-range',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * The stored head updated by a 304: with `full`, every field of the 304
 * replaces the stored one (RFC 9111 §3.2) but those describing the body;
 * otherwise only Pingora's five fields. Vary changes are ignored.
 */
export function mergeNotModified(
  stored: ResponseHeader,
  notModified: ResponseHeader,
  full = false,
): ResponseHeader {
  const out = stored.clone();
  const names = full
    ? [...new Set(notModified.headerNames().map((n) => n.toLowerCase()))].filter(
        (n) => !KEEP_ON_304.has(n) && n !== 'vary',
      )
    : PINGORA_304_FIELDS;
  for (const name of names) {
    const values = notModified.getAll(name);
    if (values.length === 0) continue;
    out.removeHeader(name);
    for (const v of values) out.appendHeader(name, v);
  }
  return out;
}

function etagMatches(list: string, etag: string, weak: boolean): boolean {
  const strip = (t: string) => (weak && t.startsWith('W/') ? t.slice(2) : t);
  const want = strip(trimOws(etag));
  for (const part of list.split(',')) {
    const t = trimOws(part);
    if (t === '*') return true;
    if (strip(t) === want) return true;
  }
  return false;
}

/**
 * Pingora's default cacheNotModifiedFilter: true when the request's
 * conditions fail against the stored 200 (If-None-Match by weak comparison,
 * else If-Modified-Since against Last-Modified), so 304 may be sent.
 */
export function notModified(req: RequestHeader, resp: ResponseHeader): boolean {
  if (resp.status !== 200) return false;
  if (req.hasHeader('if-none-match')) {
    const inm = req.getAll('if-none-match');
    const etag = resp.getHeader('etag');
    return etag !== undefined && etagMatches(inm.join(','), etag, true);
  }
  const ims = req.getHeader('if-modified-since');
  if (ims === undefined) return false;
  const lm = resp.getHeader('last-modified');
  if (lm === undefined) return false;
  const since = parseHttpDate(ims);
  const modified = parseHttpDate(lm);
  return since !== undefined && modified !== undefined && modified <= since;
}

/** Fields a 304 made from a stored 200 keeps (RFC 9110 §15.4.5). */
const NOT_MODIFIED_FIELDS = new Set([
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
  'age',
]);

/** Turns a stored 200 head (a copy) into the 304 sent downstream. */
export function toNotModified(resp: ResponseHeader): void {
  resp.status = 304;
  for (const name of resp.headerNames()) {
    if (!NOT_MODIFIED_FIELDS.has(name.toLowerCase())) resp.removeHeader(name);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * RFC 9111 §4.4: after a non-error answer to an unsafe method, the target
 * URI and the same-host Location/Content-Location are invalidated. Returns
 * the request targets (paths) to invalidate on `host`.
 */
export function invalidatedTargets(req: RequestHeader, resp: ResponseHeader): string[] {
  if (SAFE_METHODS.has(req.method) || resp.status < 200 || resp.status >= 400) return [];
  const host = req.getHeader('host');
  const out = [req.target];
  for (const name of ['location', 'content-location']) {
    const v = resp.getHeader(name);
    if (v === undefined) continue;
    if (v.startsWith('/') && !v.startsWith('//')) out.push(v);
    else {
      try {
        const u = new URL(v);
        if (host !== undefined && u.host === host) out.push(u.pathname + u.search);
      } catch {
        // not a URI: nothing to invalidate
      }
    }
  }
  return [...new Set(out)];
}
