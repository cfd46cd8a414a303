/**
 * Serving a response from cache (Pingora's proxy_cache hit path): the stored
 * head with Age, a downstream 304 when the request's conditions fail
 * (cacheNotModifiedFilter), byte ranges (rangeHeaderFilter, seek when the
 * storage can), responseFilter, then the body through responseBodyFilter
 * and the downstream modules. HEAD gets the head only. A whole stored body
 * with synchronous filters is served synchronously, head and body in one
 * write: no promise on that path.
 */
import {
  type HitHandler,
  type HttpCache,
  RangeBody,
  type RangeRequest,
  rangeRequestFor,
} from '@pingora-ts/cache';
import { notModified, toNotModified } from '@pingora-ts/cache/rfc9111';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { ResponseHeader } from '@pingora-ts/http';
import { isPromise } from './maybe-promise.ts';
import type { ProxyHttp } from './proxy-http.ts';
import { type Session, sessionState } from './session.ts';

/**
 * Serves the found asset of `cache` (`now`: the lookup's clock reading, for
 * Age); a promise only when some step had to wait.
 */
export function serveFromCache<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  cache: HttpCache,
  now: number = cache.now(),
): void | Promise<void> {
  const meta = cache.meta;
  const hit = cache.hitHandler;
  if (meta === undefined || hit === undefined) {
    throw PingoraError.explain(ErrorType.InternalError, 'cache: serving without a found asset');
  }
  // the stored fields go out as bytes encoded once per asset; Age follows them
  const resp = meta.servedHeader();
  resp.appendUnchecked('Age', String(meta.ageSec(now)), 'age');
  const req = s.reqHeader;
  const nm =
    inner.cacheNotModifiedFilter !== undefined
      ? inner.cacheNotModifiedFilter(s, resp, ctx)
      : notModified(req, resp);
  if (nm) return serveNotModified(inner, s, ctx, resp, hit);
  let range: RangeBody | undefined;
  const length = hit.bodyLength ?? storedLength(resp);
  if (resp.status === 200 && length !== undefined) {
    const rr: RangeRequest =
      inner.rangeHeaderFilter !== undefined
        ? inner.rangeHeaderFilter(s, resp, ctx)
        : rangeRequestFor(req, resp);
    if (rr.kind === 'none') {
      if (!meta.servedAcceptsRanges(resp) && resp.getHeader('accept-ranges') !== 'bytes') {
        resp.insertHeader('Accept-Ranges', 'bytes');
      }
    } else {
      range = new RangeBody(rr, resp, length);
      if (rr.kind === 'single' && hit.canSeek()) {
        hit.seek(rr.range.start, rr.range.end);
        range = undefined;
      }
    }
  }
  if (inner.responseFilter !== undefined) {
    const r = inner.responseFilter(s, resp, ctx);
    if (isPromise(r)) return r.then(() => serveBody(inner, s, ctx, resp, hit, range));
  }
  return serveBody(inner, s, ctx, resp, hit, range);
}

/** The Content-Length of a stored head, for an asset whose body length the storage does not know. */
function storedLength(resp: ResponseHeader): number | undefined {
  const cl = resp.getHeader('content-length');
  return cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
}

async function serveNotModified<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  resp: ResponseHeader,
  hit: HitHandler,
): Promise<void> {
  toNotModified(resp);
  if (inner.responseFilter !== undefined) await inner.responseFilter(s, resp, ctx);
  hit.finish();
  await s.writeResponseHeader(resp, true);
}

/** After responseFilter: the head and the body, in one synchronous write when the body is whole. */
function serveBody<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  resp: ResponseHeader,
  hit: HitHandler,
  range: RangeBody | undefined,
): void | Promise<void> {
  const req = s.reqHeader;
  const headOnly =
    req.method === 'HEAD' ||
    resp.status === 304 ||
    resp.status === 204 ||
    range?.request.kind === 'invalid';
  let first: Buffer | null | Promise<Buffer | null>;
  try {
    first = headOnly ? null : hit.readBody();
  } catch (err) {
    hit.finish();
    throw err;
  }
  if (isPromise(first) || hit.bodyLength === undefined) {
    return streamBody(inner, s, ctx, resp, hit, range, headOnly, first);
  }
  // A stored body is there whole: head and body go out in one write.
  let w: void | Promise<void>;
  try {
    w = writeWhole(inner, s, ctx, resp, first, range);
  } catch (err) {
    hit.finish();
    throw err;
  }
  if (isPromise(w)) return w.finally(() => hit.finish());
  hit.finish();
}

/** The body piece by piece, as the storage hands it over (an asset still being written, a remote store). */
async function streamBody<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  resp: ResponseHeader,
  hit: HitHandler,
  range: RangeBody | undefined,
  headOnly: boolean,
  first: Buffer | null | Promise<Buffer | null>,
): Promise<void> {
  try {
    await s.writeResponseHeader(resp, false);
    if (!headOnly) {
      let r: Buffer | null | Promise<Buffer | null> = first;
      for (;;) {
        let chunk = isPromise(r) ? await r : r;
        if (chunk === null) break;
        if (range !== undefined) chunk = range.filter(chunk);
        if (inner.responseBodyFilter !== undefined) {
          const out = inner.responseBodyFilter(s, chunk, false, ctx);
          if (out !== undefined) chunk = out;
        }
        if (chunk !== null && chunk.length > 0) await s.writeResponseBody(chunk, false);
        r = hit.readBody();
      }
    }
    let last: Buffer | null = null;
    if (inner.responseBodyFilter !== undefined) {
      const out = inner.responseBodyFilter(s, null, true, ctx);
      if (out !== undefined) last = out;
    }
    await s.writeResponseBody(last, true);
  } finally {
    hit.finish();
  }
}

/**
 * The whole response in one downstream write: the body (one piece, already
 * seeked or to be ranged) through responseBodyFilter (as the last piece) and
 * the downstream modules, which only cost a promise when they return one.
 */
function writeWhole<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  resp: ResponseHeader,
  piece: Buffer | null,
  range: RangeBody | undefined,
): void | Promise<void> {
  let body = piece;
  if (body !== null && range !== undefined) body = range.filter(body);
  if (inner.responseBodyFilter !== undefined) {
    const out = inner.responseBodyFilter(s, body, true, ctx);
    if (out !== undefined) body = out;
  }
  const modules = s.downstreamModules;
  // Called even with no module built: idle ones built later replay this header.
  const h = modules.responseHeaderFilter(resp, false);
  if (isPromise(h)) return h.then(() => writeThroughModules(s, resp, body));
  if (modules.modules.length > 0) return writeThroughModules(s, resp, body);
  send(s, resp, body);
}

function writeThroughModules(
  s: Session,
  resp: ResponseHeader,
  body: Buffer | null,
): void | Promise<void> {
  const b = s.downstreamModules.responseBodyFilter(body, true);
  if (isPromise(b)) return b.then((out) => send(s, resp, out));
  send(s, resp, b);
}

function send(s: Session, resp: ResponseHeader, body: Buffer | null): void {
  if (body !== null) sessionState(s).responseBodyBytes += body.length;
  s.downstream.writeResponse(resp, body ?? undefined);
}
