/**
 * Cacheability and freshness policies. `pingoraPolicy` is Pingora's
 * filters.rs: GET/HEAD, cache-control, Expires, per-status default TTLs.
 * `rfc9111Policy` (opt-in, beyond Pingora) is what a standards-following
 * shared cache needs: Age, targeted fields (RFC 9213), heuristics only where
 * allowed, no default lifetime, request directives, 304 full update and
 * invalidation by unsafe methods (rfc9111-request.ts).
 */
import { type RequestHeader, type ResponseHeader, trimOws } from '@pingora-ts/http';
import { CacheControl } from './cache-control.ts';
import { parseHttpDate } from './http-date.ts';
import { CacheMeta } from './meta.ts';
import { NoCacheReason } from './phase.ts';
import { mergeNotModified, type RequestVerdict, requestVerdict } from './rfc9111-request.ts';

export type RespCacheable =
  | { readonly cacheable: true; readonly meta: CacheMeta }
  | { readonly cacheable: false; readonly reason: NoCacheReason };

export interface CachePolicyOptions {
  /** Fresh seconds for a response that says nothing, by status (Pingora's CacheMetaDefaults). Default: none. */
  defaultTtlSec?: (status: number) => number | undefined;
  /** stale-while-revalidate seconds when the response gives none. Default 0. */
  staleWhileRevalidateSec?: number;
  /** stale-if-error seconds when the response gives none. Default 0. */
  staleIfErrorSec?: number;
}

export interface CachePolicy {
  readonly name: 'pingora' | 'rfc9111';
  /** Whether a request may be looked up and stored at all. */
  isRequestCacheable(req: RequestHeader): boolean;
  /** Decides whether `resp` (to `req`) may be stored and for how long. `now` in ms. */
  responseCacheable(req: RequestHeader, resp: ResponseHeader, now: number): RespCacheable;
  /** The stored head after a 304 (`stored` is not changed). */
  mergeNotModified(stored: ResponseHeader, notModified: ResponseHeader): ResponseHeader;
  /** What the request's own directives allow for a found asset (rfc9111 only; pingora: 'default'). */
  requestVerdict(req: RequestHeader, meta: CacheMeta, now: number): RequestVerdict;
  /** Whether unsafe methods invalidate stored responses (rfc9111). */
  readonly invalidatesOnUnsafe: boolean;
}

const LIFETIME_ZERO = 0;

/** Pingora's delta-seconds rule: a bad value is ignored, as if absent. */
function validDelta(v: number | undefined): number | undefined {
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

function toMeta(
  now: number,
  lifetimeSec: number,
  initialAgeSec: number,
  swr: number,
  sie: number,
  header: ResponseHeader,
): CacheMeta {
  // Pingora stores a zero lifetime as already expired (now - 1 s).
  const remaining = lifetimeSec - initialAgeSec;
  const freshUntil = remaining <= 0 ? now - 1000 : now + remaining * 1000;
  return new CacheMeta({
    created: now,
    freshUntil,
    staleWhileRevalidateSec: swr,
    staleIfErrorSec: sie,
    initialAgeSec,
    header,
  });
}

/** Pingora's calculate_expires_header_time: one Expires only; a bad date is the epoch. */
function expiresAt(resp: ResponseHeader): number | undefined {
  const all = resp.getAll('expires');
  if (all.length !== 1) return undefined;
  return parseHttpDate(all[0]!) ?? 0;
}

function staleWindows(cc: CacheControl | undefined, o: CachePolicyOptions): [number, number] {
  if (cc !== undefined && (cc.mustRevalidate || cc.proxyRevalidate || cc.has('s-maxage'))) {
    return [0, 0];
  }
  const swr = validDelta(cc?.staleWhileRevalidate) ?? o.staleWhileRevalidateSec ?? 0;
  const sie = validDelta(cc?.staleIfError) ?? o.staleIfErrorSec ?? 0;
  return [swr, sie];
}

/** Pingora's policy (filters.rs resp_cacheable): the default preset. */
export function pingoraPolicy(options: CachePolicyOptions = {}): CachePolicy {
  return {
    name: 'pingora',
    invalidatesOnUnsafe: false,
    isRequestCacheable: (req) => req.method === 'GET' || req.method === 'HEAD',
    responseCacheable(req, resp, now) {
      const cc = CacheControl.fromHeaders(resp);
      if (req.hasHeader('authorization')) {
        if (cc === undefined || !(cc.mustRevalidate || cc.public || cc.has('s-maxage'))) {
          return { cacheable: false, reason: NoCacheReason.OriginNotCache };
        }
      }
      if (cc !== undefined && (cc.noStore || cc.private)) {
        return { cacheable: false, reason: NoCacheReason.OriginNotCache };
      }
      let lifetime: number | undefined;
      let fromExpires: number | undefined;
      if (cc !== undefined) {
        if (cc.noCache) lifetime = LIFETIME_ZERO;
        else {
          const s = cc.sMaxAge;
          // an invalid s-maxage hides max-age (Pingora's `?` on s_maxage)
          if (s !== undefined) lifetime = Number.isNaN(s) ? undefined : s;
          else lifetime = validDelta(cc.maxAge);
        }
      }
      if (lifetime === undefined) fromExpires = expiresAt(resp);
      if (lifetime === undefined && fromExpires === undefined) {
        lifetime = options.defaultTtlSec?.(resp.status);
        if (lifetime === undefined)
          return { cacheable: false, reason: NoCacheReason.OriginNotCache };
      }
      const [swr, sie] = staleWindows(cc, options);
      const header = resp.clone();
      cc?.stripFieldNames(header);
      if (fromExpires !== undefined) {
        const meta = toMeta(now, 0, 0, swr, sie, header);
        meta.freshUntil = fromExpires;
        return { cacheable: true, meta };
      }
      return { cacheable: true, meta: toMeta(now, lifetime ?? 0, 0, swr, sie, header) };
    },
    mergeNotModified,
    requestVerdict: () => 'default',
  };
}

/** Statuses RFC 9110 §15.1 calls heuristically cacheable. */
const HEURISTIC = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

export interface Rfc9111Options extends CachePolicyOptions {
  /** Targeted fields that override Cache-Control, first present wins (RFC 9213). Default CDN-Cache-Control, Surrogate-Control. */
  targetedFields?: readonly string[];
  /** Share of (Date - Last-Modified) used as heuristic lifetime. Default 0.1. */
  heuristicFraction?: number;
  /** Upper bound of a heuristic lifetime in seconds. Default 86400. */
  heuristicMaxSec?: number;
}

/** The RFC 9111 preset: a shared cache that follows the standard (beyond Pingora). */
export function rfc9111Policy(options: Rfc9111Options = {}): CachePolicy {
  const targeted = options.targetedFields ?? ['cdn-cache-control', 'surrogate-control'];
  const fraction = options.heuristicFraction ?? 0.1;
  const heuristicMax = options.heuristicMaxSec ?? 86_400;
  return {
    name: 'rfc9111',
    invalidatesOnUnsafe: true,
    isRequestCacheable: (req) => req.method === 'GET' || req.method === 'HEAD',
    responseCacheable(req, resp, now) {
      const no = { cacheable: false, reason: NoCacheReason.OriginNotCache } as const;
      if (resp.status < 200) return no;
      const reqCc = CacheControl.fromHeaders(req);
      if (reqCc?.noStore) return no;
      // RFC 9213: a targeted field, when present, replaces Cache-Control entirely
      let target: CacheControl | undefined;
      for (const name of targeted) {
        target = CacheControl.fromHeaders(resp, name);
        if (target !== undefined) break;
      }
      const cc = CacheControl.fromHeaders(resp);
      const fresh = target ?? cc;
      if (fresh !== undefined && (fresh.noStore || fresh.private)) return no;
      // Vary: * can never be matched by a later request (§4.1)
      for (const v of resp.getAll('vary')) {
        if (v.split(',').some((x) => trimOws(x) === '*')) return no;
      }
      // §3.5: a shared cache stores answers to authorized requests only when told it may
      if (req.hasHeader('authorization')) {
        const allowed =
          fresh !== undefined && (fresh.mustRevalidate || fresh.public || fresh.has('s-maxage'));
        if (!allowed) return no;
      }
      const dateHdr = resp.getHeader('date');
      const date = dateHdr === undefined ? now : (parseHttpDate(dateHdr) ?? now);
      let lifetime: number | undefined;
      if (fresh !== undefined) {
        if (fresh.noCache) {
          lifetime = 0;
        } else {
          const s = target === undefined ? fresh.sMaxAge : undefined;
          const m = fresh.maxAge;
          const v = s ?? m;
          if (v !== undefined) {
            // invalid freshness information: treat as stale (§4.2.1)
            lifetime = Number.isNaN(v) ? 0 : v;
          }
        }
      }
      if (lifetime === undefined && resp.hasHeader('expires')) {
        const all = resp.getAll('expires');
        const at = all.length === 1 ? parseHttpDate(all[0]!) : undefined;
        lifetime = at === undefined ? 0 : Math.max(0, Math.floor((at - date) / 1000));
      }
      if (lifetime === undefined) {
        const lmHdr = resp.getHeader('last-modified');
        const lm = lmHdr === undefined ? undefined : parseHttpDate(lmHdr);
        const allowed = HEURISTIC.has(resp.status) || cc?.public === true;
        if (lm !== undefined && allowed && lm <= date) {
          lifetime = Math.min(heuristicMax, Math.floor(((date - lm) / 1000) * fraction));
        } else if (options.defaultTtlSec !== undefined) {
          lifetime = options.defaultTtlSec(resp.status);
        }
        if (lifetime === undefined) return no;
      }
      // §4.2.3: the age the response already has counts against its lifetime
      const ageHdr = resp.getHeader('age');
      const ageValue =
        ageHdr !== undefined && /^[0-9]+$/.test(trimOws(ageHdr)) ? Number(ageHdr) : 0;
      const apparent = Math.max(0, Math.floor((now - date) / 1000));
      const initialAge = Math.max(apparent, ageValue);
      const [swr, sie] = staleWindows(fresh, options);
      const header = resp.clone();
      header.removeHeader('age');
      cc?.stripFieldNames(header);
      return { cacheable: true, meta: toMeta(now, lifetime, initialAge, swr, sie, header) };
    },
    mergeNotModified: (stored, nm) => mergeNotModified(stored, nm, true),
    requestVerdict,
  };
}
