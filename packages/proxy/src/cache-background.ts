/**
 * Stale-while-revalidate's background refresh (Pingora spawns a subrequest):
 * the request that found the asset stale serves it at once, and this task,
 * holding the key's write lock, asks the upstream conditionally with a new
 * Ctx: a 304 refreshes the stored meta, a cacheable full response replaces
 * the asset, anything else leaves it. The lock is released in every case.
 */
import {
  type CacheMeta,
  type HttpCache,
  LockStatus,
  NoCacheReason,
  type RespCacheable,
} from '@pingora-ts/cache';
import { mergeNotModified } from '@pingora-ts/cache/rfc9111';
import type { HttpClientSession, Logger } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { cacheUpstreamRequest } from './cache-upstream.ts';
import { serializeProxyError } from './error-log.ts';
import { isPromise } from './maybe-promise.ts';
import type { ProxyHttp } from './proxy-http.ts';
import type { Session } from './session.ts';
import type { UpstreamConnector } from './upstream-connector.ts';
import { upstreamRequestFrom } from './upstream-request.ts';

export function revalidateInBackground<Ctx>(
  inner: ProxyHttp<Ctx>,
  connector: UpstreamConnector,
  s: Session,
  cache: HttpCache,
  logger: Pick<Logger, 'warn'> | undefined,
): void {
  const permit = cache.takePermit();
  const stale = cache.meta;
  if (stale === undefined) {
    permit?.release(LockStatus.Dangling);
    return;
  }
  run(inner, connector, s, cache, stale).then(
    (status) => permit?.release(status),
    (err: unknown) => {
      permit?.release(LockStatus.TransientError);
      logger?.warn({ err: serializeProxyError(err) }, 'cache: background revalidation failed');
    },
  );
}

async function run<Ctx>(
  inner: ProxyHttp<Ctx>,
  connector: UpstreamConnector,
  s: Session,
  cache: HttpCache,
  stale: CacheMeta,
): Promise<LockStatus> {
  const ctx = inner.newCtx();
  const settings = cache.settings;
  const key = cache.key;
  const chosen = inner.upstreamPeer(s, ctx);
  const peer = isPromise(chosen) ? await chosen : chosen;
  const { session: up } = await connector.getHttpSession(peer);
  let done = false;
  try {
    const o = peer.options;
    if (o.readTimeout !== undefined) up.readTimeoutMs = o.readTimeout;
    if (o.writeTimeout !== undefined) up.writeTimeoutMs = o.writeTimeout;
    const req: RequestHeader = upstreamRequestFrom(s, peer);
    // a subrequest carries no body of the client's
    req.removeHeader('content-length');
    req.removeHeader('transfer-encoding');
    cacheUpstreamRequest(req, stale);
    if (inner.upstreamRequestFilter !== undefined) await inner.upstreamRequestFilter(s, req, ctx);
    up.writeRequestHeader(req);
    const resp: ResponseHeader = await up.readResponseHeader();
    if (inner.upstreamResponseFilter !== undefined)
      await inner.upstreamResponseFilter(s, resp, ctx);
    const now = settings.now?.() ?? Date.now();
    const judge = (h: ResponseHeader): RespCacheable =>
      inner.responseCacheFilter !== undefined
        ? inner.responseCacheFilter(s, h, ctx)
        : (settings.policy?.responseCacheable(s.reqHeader, h, now) ?? UNCACHEABLE);
    if (resp.status === 304) {
      const merged =
        settings.policy?.mergeNotModified(stale.header, resp) ??
        mergeNotModified(stale.header, resp);
      const d = judge(merged);
      if (d.cacheable) {
        const meta = d.meta;
        meta.created = stale.created;
        meta.variance = stale.variance;
        if (meta.header === merged) meta.header = merged.clone();
        await settings.storage.updateMeta(key, meta);
      }
      await drain(up);
      done = true;
      return LockStatus.Done;
    }
    const d = resp.status === 200 ? judge(resp) : UNCACHEABLE;
    if (!d.cacheable) return LockStatus.TransientError;
    const meta = d.meta;
    if (meta.header === resp) meta.header = resp.clone();
    meta.variance ??= stale.variance;
    const max = settings.maxFileSizeBytes;
    const miss = await settings.storage.getMissHandler(key, meta);
    let size = 0;
    try {
      for (;;) {
        const chunk = await up.readBodyChunk();
        if (chunk === null) break;
        size += chunk.length;
        if (max !== undefined && size > max) {
          throw PingoraError.explain(ErrorType.InternalError, 'cache: body over max file size');
        }
        await miss.writeBody(Buffer.from(chunk), false);
      }
      await miss.writeBody(EMPTY, true);
      await miss.finish();
    } catch (err) {
      miss.abort();
      throw err;
    }
    done = true;
    return LockStatus.Done;
  } finally {
    if (done && up.reusable()) connector.releaseHttpSession(up, peer);
    else up.destroy();
  }
}

async function drain(up: HttpClientSession): Promise<void> {
  for (let i = 0; i < 1_000_000; i++) if ((await up.readBodyChunk()) === null) return;
}

const EMPTY = Buffer.alloc(0);
const UNCACHEABLE: RespCacheable = { cacheable: false, reason: NoCacheReason.OriginNotCache };
