/**
 * ProxyHttp<Ctx>: the interface user code implements to program an HttpProxy
 * (mirrors pingora-proxy's ProxyHttp trait). Two methods are required
 * (newCtx, upstreamPeer); every other phase is optional and skipped when
 * absent, and its doc says what the default does. Phases run in the order of
 * Pingora's phase chart (docs/user_guide/phase_chart.md):
 *
 *   earlyRequestFilter -> (downstream modules) -> requestFilter -> [cache seam]
 *   -> proxyUpstreamFilter -> upstreamPeer -> connect
 *      -> connectedToUpstream | failToConnect (retry -> upstreamPeer)
 *   -> upstreamRequestFilter -> requestBodyFilter* (while the response flows)
 *   -> upstreamResponseFilter -> responseFilter -> upstreamResponseBodyFilter*
 *   -> responseBodyFilter* -> upstreamResponseTrailerFilter -> responseTrailerFilter
 *   -> logging; on error: errorWhileProxy (retry -> upstreamPeer) -> failToProxy
 *   -> logging.
 *
 * Cache: Pingora's cache phases (requestCacheFilter, cacheKeyCallback,
 * cacheHitFilter, responseCacheFilter, cacheVaryFilter, ...) are more
 * optional methods (proxy-http-cache.ts). The lookup runs between
 * requestFilter and proxyUpstreamFilter (proxy-cache.ts), and the store side
 * sits between upstreamResponse*Filter (before the cache) and
 * response*Filter (after it), which is why both pairs exist.
 *
 * The typed `Ctx` made by newCtx() flows through every phase of one request.
 * Phases that may do IO return a promise or a plain value (MaybePromise):
 * the proxy only awaits when a promise comes back. Body filters are
 * synchronous, as in Pingora, so a chunk costs no promise.
 */
import type { HttpModules, HttpPeer } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';

import type { ProxyHttpCache } from './proxy-http-cache.ts';
import type { Session } from './session.ts';

export type MaybePromise<T> = T | Promise<T>;

/**
 * What a body filter returns: a replacement body (`null` sends nothing for
 * this piece), or undefined/void to send the piece as it was.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a filter that changes nothing may simply not return.
export type BodyFilterReturn = Buffer | null | undefined | void;

/** What failToProxy reports back (Pingora's FailToProxy). */
export interface FailToProxy {
  /** The status sent downstream, 0 when none could be sent. For logging. */
  readonly errorCode: number;
  /**
   * Whether the downstream connection may serve another request despite the
   * error. Only honoured for errors before an upstream was chosen.
   */
  readonly canReuseDownstream: boolean;
}

/** The cache phases (requestCacheFilter, cacheKeyCallback, ...) are in ProxyHttpCache. */
export interface ProxyHttp<Ctx> extends ProxyHttpCache<Ctx> {
  /** Makes the per-request state shared by every phase of one request. Required. */
  newCtx(): Ctx;

  /**
   * Where to send the request: the HttpPeer (address, TLS, timeouts) to
   * connect to. Required. Called again after a retryable failure; the Ctx is
   * the place to remember which peers already failed.
   */
  upstreamPeer(session: Session, ctx: Ctx): MaybePromise<HttpPeer>;

  /**
   * Adds or configures HttpModules once, before the first request.
   * Default: adds ResponseCompressionBuilder.enable(0) (present but disabled:
   * a filter can turn it on per request with session.downstreamCompression()).
   */
  initDownstreamModules?(modules: HttpModules): void;

  /** First phase of every request, before the downstream modules see it. Default: nothing. */
  earlyRequestFilter?(session: Session, ctx: Ctx): MaybePromise<void>;

  /**
   * Validate, rate limit, authenticate, or answer the request. Return true
   * when the filter has already written a response (session.respondError,
   * session.writeResponseHeader/Body): the proxy then skips to logging.
   * Default: false (continue).
   */
  requestFilter?(session: Session, ctx: Ctx): MaybePromise<boolean>;

  /**
   * Whether to go upstream at all (after the cache seam). Return false after
   * writing a response yourself; if nothing was written the proxy answers 502.
   * Default: true.
   */
  proxyUpstreamFilter?(session: Session, ctx: Ctx): MaybePromise<boolean>;

  /**
   * Called after a connection to the upstream is established or taken from
   * the pool; `reused` says which. For logging and timing; over TLS,
   * `session.upstreamTls` holds the handshake's digest (version, cipher,
   * ALPN, resumed, the upstream's certificate). Default: nothing.
   */
  connectedToUpstream?(
    session: Session,
    reused: boolean,
    peer: HttpPeer,
    ctx: Ctx,
  ): MaybePromise<void>;

  /**
   * Called when connecting to `peer` failed; nothing was sent upstream. Mark
   * the error retryable (`error.withRetry(true)`) to loop back to
   * upstreamPeer. Default: returns the error unchanged (connect errors from
   * the connector already say whether they are worth retrying).
   */
  failToConnect?(session: Session, peer: HttpPeer, ctx: Ctx, error: PingoraError): PingoraError;

  /**
   * Changes the request sent upstream (a copy: the downstream request header
   * stays as received). Hop-by-hop fields are already gone. Default: nothing.
   */
  upstreamRequestFilter?(
    session: Session,
    upstreamRequest: RequestHeader,
    ctx: Ctx,
  ): MaybePromise<void>;

  /**
   * Sees each piece of the request body before it goes upstream; `body` is
   * not the whole body. Return a replacement (or null to drop the piece).
   * May be async (to throttle an upload): the body then waits. To change the
   * body's size, remove Content-Length in upstreamRequestFilter (the body is
   * then sent chunked). Default: as is.
   */
  requestBodyFilter?(
    session: Session,
    body: Buffer | null,
    endOfStream: boolean,
    ctx: Ctx,
  ): MaybePromise<BodyFilterReturn>;

  /**
   * Changes the upstream response header; in Pingora this runs before the
   * cache stores the response. Default: nothing.
   */
  upstreamResponseFilter?(
    session: Session,
    upstreamResponse: ResponseHeader,
    ctx: Ctx,
  ): MaybePromise<void>;

  /** Changes the response header just before it goes downstream. Default: nothing. */
  responseFilter?(session: Session, upstreamResponse: ResponseHeader, ctx: Ctx): MaybePromise<void>;

  /**
   * Sees each piece of the upstream response body (before the cache would
   * store it). Synchronous. Return a replacement or undefined. Default: as is.
   */
  upstreamResponseBodyFilter?(
    session: Session,
    body: Buffer | null,
    endOfStream: boolean,
    ctx: Ctx,
  ): BodyFilterReturn;

  /**
   * Sees each piece of the response body just before it goes downstream (and
   * before compression). Synchronous. Return a replacement or undefined.
   * The piece is the filter's own (a copy when it came straight from a
   * socket read): it may be kept. A proxy without body filters forwards
   * bodies without copying them (README: Body chunks).
   * Changing the length of a body with a Content-Length needs responseFilter
   * to remove that header. Default: as is.
   */
  responseBodyFilter?(
    session: Session,
    body: Buffer | null,
    endOfStream: boolean,
    ctx: Ctx,
  ): BodyFilterReturn;

  /** Sees the upstream's trailer fields of a chunked response. Default: nothing. */
  upstreamResponseTrailerFilter?(
    session: Session,
    trailers: HeaderList,
    ctx: Ctx,
  ): MaybePromise<void>;

  /** Changes the trailer fields before they go downstream. Default: nothing. */
  responseTrailerFilter?(session: Session, trailers: HeaderList, ctx: Ctx): MaybePromise<void>;

  /**
   * Called on an error after the upstream connection was established (send,
   * receive, or a filter failing). Decide whether to retry by setting
   * `error.retry`. Default: adds the peer to the context and retries only if
   * the connection was reused from the pool (a stale keepalive connection)
   * and the request body was not truncated from the retry buffer.
   */
  errorWhileProxy?(
    peer: HttpPeer,
    session: Session,
    error: PingoraError,
    ctx: Ctx,
    clientReused: boolean,
  ): PingoraError;

  /**
   * Called once when the request fails for good. Usually writes the error
   * response. Default: answers with the status from the error kind (502 for
   * unreachable upstreams, 504 for timeouts, 400 for bad requests, the
   * status of an HTTPStatus error, 500 otherwise; nothing if the client is
   * gone) unless the response header already went out.
   */
  failToProxy?(session: Session, error: PingoraError, ctx: Ctx): MaybePromise<FailToProxy>;

  /**
   * The last phase of every request, after the response is done or failed,
   * before its resources are released. For access logs and metrics; errors
   * are already logged. Default: nothing.
   */
  logging?(session: Session, error: PingoraError | undefined, ctx: Ctx): MaybePromise<void>;

  /**
   * What the error log says about a request. Default: session.requestSummary()
   * (`GET /path, Host: example.com`).
   */
  requestSummary?(session: Session, ctx: Ctx): string;

  /** Return true to keep `error` out of the error log. Default: false. */
  suppressErrorLog?(session: Session, ctx: Ctx, error: PingoraError): boolean;
}
