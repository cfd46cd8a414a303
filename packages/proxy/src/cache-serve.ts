/**
 * Serving a response from cache (Pingora's proxy_cache hit path): the stored
 * head with Age, a downstream 304 when the request's conditions fail
 * (cacheNotModifiedFilter), byte ranges (rangeHeaderFilter, seek when the
 * storage can), responseFilter, then the body through responseBodyFilter
 * and the downstream modules. HEAD gets the head only.
 */
import { type HttpCache, RangeBody, type RangeRequest, rangeRequestFor } from '@pingora-ts/cache';
import { notModified, toNotModified } from '@pingora-ts/cache/rfc9111';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { ResponseHeader } from '@pingora-ts/http';
import { isPromise } from './maybe-promise.ts';
import type { ProxyHttp } from './proxy-http.ts';
import { type Session, sessionState } from './session.ts';

export async function serveFromCache<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  cache: HttpCache,
): Promise<void> {
  const meta = cache.meta;
  const hit = cache.hitHandler;
  if (meta === undefined || hit === undefined) {
    throw PingoraError.explain(ErrorType.InternalError, 'cache: serving without a found asset');
  }
  const resp = meta.header.clone();
  resp.insertHeader('Age', meta.ageSec(cache.now()));
  const req = s.reqHeader;
  const nm =
    inner.cacheNotModifiedFilter !== undefined
      ? inner.cacheNotModifiedFilter(s, resp, ctx)
      : notModified(req, resp);
  if (nm) {
    toNotModified(resp);
    if (inner.responseFilter !== undefined) await inner.responseFilter(s, resp, ctx);
    hit.finish();
    await s.writeResponseHeader(resp, true);
    return;
  }
  let range: RangeBody | undefined;
  const cl = resp.getHeader('content-length');
  const length = hit.bodyLength ?? (cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined);
  if (resp.status === 200 && length !== undefined) {
    const rr: RangeRequest =
      inner.rangeHeaderFilter !== undefined
        ? inner.rangeHeaderFilter(s, resp, ctx)
        : rangeRequestFor(req, resp);
    range = new RangeBody(rr, resp, length);
    if (rr.kind === 'single' && hit.canSeek()) {
      hit.seek(rr.range.start, rr.range.end);
      range = undefined;
    } else if (rr.kind === 'none') range = undefined;
  }
  if (inner.responseFilter !== undefined) {
    const r = inner.responseFilter(s, resp, ctx);
    if (isPromise(r)) await r;
  }
  const headOnly =
    req.method === 'HEAD' ||
    resp.status === 304 ||
    resp.status === 204 ||
    range?.request.kind === 'invalid';
  const first = headOnly ? null : hit.readBody();
  if (!isPromise(first) && hit.bodyLength !== undefined) {
    // A stored body is there whole: head and body go out in one write, no promise per piece.
    try {
      await writeWhole(inner, s, ctx, resp, first, range);
    } finally {
      hit.finish();
    }
    return;
  }
  await s.writeResponseHeader(resp, false);
  try {
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
async function writeWhole<Ctx>(
  inner: ProxyHttp<Ctx>,
  s: Session,
  ctx: Ctx,
  resp: ResponseHeader,
  piece: Buffer | null,
  range: RangeBody | undefined,
): Promise<void> {
  let body = piece;
  if (body !== null && range !== undefined) body = range.filter(body);
  if (inner.responseBodyFilter !== undefined) {
    const out = inner.responseBodyFilter(s, body, true, ctx);
    if (out !== undefined) body = out;
  }
  const modules = s.downstreamModules;
  const h = modules.responseHeaderFilter(resp, false);
  if (h !== undefined) await h;
  if (modules.modules.length > 0) {
    const b = modules.responseBodyFilter(body, true);
    body = isPromise(b) ? await b : b;
  }
  const out = body ?? undefined;
  if (out !== undefined) sessionState(s).responseBodyBytes += out.length;
  s.downstream.writeResponse(resp, out);
}
