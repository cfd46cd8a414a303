/**
 * HttpProxy: the HttpServerApp that runs a ProxyHttp implementation for
 * every request (Pingora's HttpProxy): request phases, upstream selection
 * with retries and failover, the duplex exchange, failure answers, and
 * logging. Wrap it in core's HttpServer to get a ServerApp for a service.
 */
import {
  formatSocketAddr,
  HttpConnector,
  HttpModules,
  type HttpPeer,
  type HttpServerApp,
  type HttpServerSession,
  ResponseCompressionBuilder,
} from '@pingora-ts/core';
import { markRetryByReuse } from '@pingora-ts/core/connectors';
import { releaseDeadline } from '@pingora-ts/core/h1';
import { ErrorSource, type PingoraError, toPingoraError } from '@pingora-ts/error';
import { upstreamTls } from '@pingora-ts/tls-openssl';
import { revalidateInBackground } from './cache-background.ts';
import { proxyFailureFields, serializeProxyError } from './error-log.ts';
import type { ErrorLogLimiterOptions } from './error-log-limiter.ts';
import { errorStatus } from './error-status.ts';
import { Exchange, ExchangeOutcome } from './exchange.ts';
import { FailureLog, type ProxyLogger } from './failure-log.ts';
import { grpcErrorResponse, isGrpcRequest } from './grpc-error.ts';
import { proxyLifecycleChannels as lifecycle } from './lifecycle-events.ts';
import { isPromise } from './maybe-promise.ts';
import { withPhaseNames } from './phase-errors.ts';
import { logPoolTotals } from './pool-totals.ts';
import { ProxyCache } from './proxy-cache.ts';
import { type ProxyRequestEvent, proxyRequestChannel } from './proxy-events.ts';
import type { FailToProxy, ProxyHttp } from './proxy-http.ts';
import { ProxyPhase } from './proxy-phase.ts';
import { RequestPump } from './request-pump.ts';
import { Session, sessionState } from './session.ts';
import type { UpstreamConnector } from './upstream-connector.ts';
import { upstreamRequestFrom } from './upstream-request.ts';

export interface HttpProxyOptions {
  /**
   * Where upstream HTTP sessions come from. Default: core's pooling
   * HttpConnector with tls-openssl's shared upstream TLS (system roots).
   */
  connector?: UpstreamConnector;
  /** Retries after the first attempt (the server's max_retries). Default 16. */
  maxRetries?: number;
  /**
   * The error log; failures are logged once per request (client aborts at
   * debug, identical upstream errors rate-limited: see errorLogLimit).
   */
  logger?: ProxyLogger;
  /** Rate limit of identical upstream error lines. Default: once per 10 s per message. */
  errorLogLimit?: ErrorLogLimiterOptions;
  /** Idle limit of an upgraded (WebSocket) tunnel in ms; 0 disables. Default 10 minutes. */
  tunnelIdleTimeoutMs?: number;
  /**
   * Total deadline of a request in ms, from its head to the end of its
   * response (504 past it, or the connection closed once the response
   * started); undefined or 0: none. Per request: `session.setRequestTimeout`.
   */
  requestTimeoutMs?: number | undefined;
}

/** Pingora's default of the `max_retries` server setting. */
export const DEFAULT_MAX_RETRIES = 16;

/** `#serve` was not handed an error. */
const NOT_THROWN: unique symbol = Symbol('not thrown');

/** The request's end events (after the logging phase). */
function publishEnd(session: Session, error: PingoraError | undefined): void {
  if (proxyRequestChannel.hasSubscribers) publishRequest(session, error);
  if (lifecycle.requestEnd.hasSubscribers) lifecycle.requestEnd.publish({ session, error });
}

export class HttpProxy<Ctx> implements HttpServerApp {
  readonly inner: ProxyHttp<Ctx>;
  readonly modules = new HttpModules();
  readonly connector: UpstreamConnector;
  readonly maxRetries: number;
  readonly #logger: ProxyLogger | undefined;
  readonly #failureLog: FailureLog;
  readonly #tunnelIdleMs: number;
  /** The cache flow; undefined for a ProxyHttp without requestCacheFilter (no cost then). */
  readonly #cache: ProxyCache<Ctx> | undefined;
  readonly #requestTimeoutMs: number;

  constructor(inner: ProxyHttp<Ctx>, options: HttpProxyOptions = {}) {
    // Errors from the user's phases name the phase (phase-errors.ts).
    this.inner = withPhaseNames(inner);
    this.connector = options.connector ?? new HttpConnector({ tls: upstreamTls() });
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#logger = options.logger;
    this.#failureLog = new FailureLog(options.logger, options.errorLogLimit);
    this.#tunnelIdleMs = options.tunnelIdleTimeoutMs ?? 600_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 0;
    if (inner.initDownstreamModules !== undefined) inner.initDownstreamModules(this.modules);
    else this.modules.addModule(ResponseCompressionBuilder.enable(0));
    this.#cache =
      inner.requestCacheFilter === undefined
        ? undefined
        : new ProxyCache(this.inner, (s, cache) =>
            revalidateInBackground(this.inner, this.connector, s, cache, this.#logger),
          );
  }

  /** The service stopped: logs the upstream pool's totals (per server thread). */
  cleanup(): void {
    logPoolTotals(this.connector, this.#logger);
  }

  processNewHttp(downstream: HttpServerSession, _shutdown: AbortSignal): Promise<void> | void {
    const inner = this.inner;
    const session = new Session(downstream, this.modules.buildCtx());
    const ctx = inner.newCtx();
    if (this.#requestTimeoutMs > 0) session.setRequestTimeout(this.#requestTimeoutMs);
    if (lifecycle.requestStart.hasSubscribers) lifecycle.requestStart.publish({ session });
    let phases: boolean | Promise<boolean>;
    try {
      phases = this.#requestPhases(session, ctx);
    } catch (err) {
      return this.#serve(session, ctx, true, err);
    }
    // Answered synchronously (a fresh cache hit, a filter's direct answer): no promise at all.
    if (phases === true) return this.#end(session, ctx, undefined);
    if (phases !== false) return this.#serve(session, ctx, phases, NOT_THROWN);
    // The common case (no phase answered, none went async): one promise chain, no async frame.
    return this.#proxyToUpstream(session, ctx).then(
      () => this.#end(session, ctx, undefined),
      (err: unknown) => this.#serve(session, ctx, true, err),
    );
  }

  /**
   * The request from its phases' result on (proxied unless answered), or
   * from the error `thrown` by them or the proxying: stale-if-error or the
   * failure answer, then the end of the request.
   */
  async #serve(
    s: Session,
    ctx: Ctx,
    phases: boolean | Promise<boolean>,
    thrown: unknown,
  ): Promise<void> {
    let error: PingoraError | undefined;
    try {
      if (thrown !== NOT_THROWN) throw thrown;
      const answered = isPromise(phases) ? await phases : phases;
      if (!answered) await this.#proxyToUpstream(s, ctx);
    } catch (err) {
      error = toPingoraError(err);
      if (s.cacheState !== undefined && (await this.#serveStale(s, ctx, error))) {
        error = undefined;
      } else await this.#fail(s, ctx, error);
    }
    const r = this.#end(s, ctx, error);
    if (r !== undefined) await r;
  }

  /** The end of a request: cache bookkeeping, modules, the logging phase and the events. */
  #end(s: Session, ctx: Ctx, error: PingoraError | undefined): void | Promise<void> {
    if (s.cacheState !== undefined) this.#cache?.finish(s);
    const st = sessionState(s);
    releaseDeadline(st); // done: out of the shared timer wheel now, not when its slot comes due
    if (s.downstreamModules.modules.length > 0) s.downstreamModules.responseDone();
    const inner = this.inner;
    if (inner.logging !== undefined) {
      st.phase = ProxyPhase.Logging;
      let r: unknown;
      try {
        r = inner.logging(s, error, ctx);
      } catch (err) {
        this.#loggingFailed(err);
      }
      if (isPromise(r)) {
        return r.then(
          () => publishEnd(s, error),
          (err: unknown) => {
            this.#loggingFailed(err);
            publishEnd(s, error);
          },
        );
      }
    }
    publishEnd(s, error);
  }

  #loggingFailed(err: unknown): void {
    this.#logger?.warn({ err: serializeProxyError(err) }, 'logging phase failed');
  }

  /**
   * The phases before going upstream; true when the request was answered
   * by them. Synchronous filters keep it synchronous (no promise).
   */
  #requestPhases(s: Session, ctx: Ctx): boolean | Promise<boolean> {
    const inner = this.inner;
    if (inner.earlyRequestFilter !== undefined) {
      const r = inner.earlyRequestFilter(s, ctx);
      if (isPromise(r)) return r.then(() => this.#afterEarly(s, ctx));
    }
    return this.#afterEarly(s, ctx);
  }

  #afterEarly(s: Session, ctx: Ctx): boolean | Promise<boolean> {
    // Called even with no module built: idle ones built later replay this header.
    const r = s.downstreamModules.requestHeaderFilter(s.reqHeader);
    if (r !== undefined) return r.then(() => this.#afterModules(s, ctx));
    return this.#afterModules(s, ctx);
  }

  #afterModules(s: Session, ctx: Ctx): boolean | Promise<boolean> {
    const filter = this.inner.requestFilter;
    if (filter === undefined) return this.#afterRequestFilter(s, ctx, false);
    sessionState(s).phase = ProxyPhase.RequestFilter;
    const r = filter.call(this.inner, s, ctx);
    if (isPromise(r)) return r.then((answered) => this.#afterRequestFilter(s, ctx, answered));
    return this.#afterRequestFilter(s, ctx, r);
  }

  #afterRequestFilter(s: Session, ctx: Ctx, answered: boolean): boolean | Promise<boolean> {
    if (answered) return true;
    if (this.#cache !== undefined) return this.#cache.requestPhases(s, ctx, this.#upstreamFilter);
    return this.#upstreamFilter(s, ctx);
  }

  /** proxyUpstreamFilter (after the cache lookup when there is a cache). */
  readonly #upstreamFilter = (s: Session, ctx: Ctx): boolean | Promise<boolean> => {
    const filter = this.inner.proxyUpstreamFilter;
    if (filter === undefined) return false;
    sessionState(s).phase = ProxyPhase.ProxyUpstreamFilter;
    const r = filter.call(this.inner, s, ctx);
    if (isPromise(r)) return r.then((go) => this.#afterUpstreamFilter(s, go));
    return this.#afterUpstreamFilter(s, r);
  };

  /** Stale-if-error: true when the cache answered the failed request with a stale asset. */
  async #serveStale(s: Session, ctx: Ctx, error: PingoraError): Promise<boolean> {
    try {
      return (await this.#cache?.serveStaleOnError(s, ctx, error)) ?? false;
    } catch (err) {
      this.#logger?.warn(
        proxyFailureFields(s, err, s.requestSummary()),
        'cache: serving stale failed',
      );
      return false;
    }
  }

  /** proxyUpstreamFilter said no: answer 502 unless the filter already answered. */
  #afterUpstreamFilter(s: Session, go: boolean): boolean | Promise<boolean> {
    if (go) return false;
    if (s.responseStarted) return true;
    s.disableKeepalive();
    return s.respondError(502).then(() => true);
  }

  /** upstreamPeer -> connect -> exchange, looping on retryable failures. */
  async #proxyToUpstream(s: Session, ctx: Ctx): Promise<void> {
    const inner = this.inner;
    const st = sessionState(s);
    const pump = new RequestPump(s, inner, ctx);
    for (;;) {
      st.phase = ProxyPhase.UpstreamPeer;
      let peer: HttpPeer;
      try {
        const chosen = inner.upstreamPeer(s, ctx);
        peer = isPromise(chosen) ? await chosen : chosen;
      } catch (err) {
        throw retrySelectionFailed(s, err);
      }
      if (st.timedOut !== undefined) throw st.timedOut;
      st.upstreamPeer = peer;
      st.phase = ProxyPhase.Connect;
      if (lifecycle.attemptStart.hasSubscribers) {
        lifecycle.attemptStart.publish({ session: s, peer, attempt: s.retries });
      }
      // A warm pool answers synchronously: no promise or microtask hop per request.
      let up = this.connector.reusedHttpSession?.(peer);
      let reused = true;
      let connectStart = -1;
      if (up === undefined) {
        connectStart = performance.now() - s.startedAt;
        try {
          const lease = await st.untilDeadline(this.connector.getHttpSession(peer));
          up = lease.session;
          reused = lease.reused;
        } catch (err) {
          let e = toPingoraError(err, { phase: 'connect', source: ErrorSource.Upstream });
          if (inner.failToConnect !== undefined) e = inner.failToConnect(s, peer, ctx, e);
          e.moreContext(`peer: ${peer.toString()}`);
          st.recordUpstreamFailure(e);
          if (lifecycle.attemptEnd.hasSubscribers) {
            lifecycle.attemptEnd.publish({ session: s, peer, error: e });
          }
          if (e.retryable(false) && this.#mayRetry(s)) continue;
          throw e;
        }
      }
      if (st.timedOut !== undefined) {
        up.destroy();
        throw st.timedOut;
      }
      st.activeUpstream = up;
      st.upstreamReused = reused;
      st.upstreamTls = up.upstreamTls;
      const timing = st.upstreamTiming;
      timing.connected = performance.now() - s.startedAt;
      timing.connectStart = connectStart < 0 ? timing.connected : connectStart;
      const o = peer.options;
      if (o.readTimeout !== undefined) up.readTimeoutMs = o.readTimeout;
      if (o.writeTimeout !== undefined) up.writeTimeoutMs = o.writeTimeout;
      try {
        if (inner.connectedToUpstream !== undefined) {
          st.phase = ProxyPhase.ConnectedToUpstream;
          const r = inner.connectedToUpstream(s, reused, peer, ctx);
          if (isPromise(r)) await r;
        }
        const req = upstreamRequestFrom(s, peer);
        if (st.cacheTap !== undefined) st.cacheTap.upstreamRequest(req);
        if (inner.upstreamRequestFilter !== undefined) {
          st.phase = ProxyPhase.UpstreamRequestFilter;
          const r = inner.upstreamRequestFilter(s, req, ctx);
          if (isPromise(r)) await r;
          // A filter that dropped Content-Length (to resize the body) gets chunked framing.
          if (
            pump.hasBody &&
            !req.hasHeader('content-length') &&
            !req.hasHeader('transfer-encoding')
          ) {
            req.appendHeader('Transfer-Encoding', 'chunked');
          }
        }
        st.phase = ProxyPhase.Proxy;
        if (lifecycle.upstreamRequest.hasSubscribers) {
          lifecycle.upstreamRequest.publish({ session: s, request: req });
        }
        const exchange = new Exchange(s, inner, ctx, up, pump, this.#tunnelIdleMs);
        const outcome = await exchange.run(req);
        st.activeUpstream = undefined;
        if (lifecycle.attemptEnd.hasSubscribers) {
          lifecycle.attemptEnd.publish({ session: s, peer, error: undefined });
        }
        if (outcome === ExchangeOutcome.Reusable) this.connector.releaseHttpSession(up, peer);
        else if (outcome === ExchangeOutcome.Done) up.destroy();
        // returned, not awaited: a failure while serving from cache is no upstream error to retry
        else if (outcome === ExchangeOutcome.Diverted) return this.#cache?.serveDiverted(s, ctx);
        return;
      } catch (err) {
        st.activeUpstream = undefined;
        pump.detach();
        up.destroy();
        let e = toPingoraError(err);
        if (lifecycle.attemptEnd.hasSubscribers) {
          lifecycle.attemptEnd.publish({ session: s, peer, error: e });
        }
        // The client failed: not an upstream failure, and nothing to retry for.
        if (e.source === ErrorSource.Downstream) throw e;
        if (s.responseStarted) {
          // Once the response started downstream nothing can be retried: it is the last failure.
          st.recordUpstreamFailure(e);
          throw e;
        }
        markRetryByReuse(e, { reused, responseStarted: up.receivedResponseBytes });
        e =
          inner.errorWhileProxy !== undefined
            ? inner.errorWhileProxy(peer, s, e, ctx, reused)
            : defaultErrorWhileProxy(peer, s, e, reused);
        st.recordUpstreamFailure(e);
        if (e.retryable(reused) && !st.retryBufferTruncated && this.#mayRetry(s)) continue;
        throw e;
      }
    }
  }

  #mayRetry(s: Session): boolean {
    const st = sessionState(s);
    if (st.retries >= this.maxRetries || st.timedOut !== undefined) return false;
    st.retries++;
    return true;
  }

  /** Logs the failure once (unless suppressed) and answers it (failToProxy). */
  async #fail(s: Session, ctx: Ctx, error: PingoraError): Promise<void> {
    const inner = this.inner;
    const suppressed = inner.suppressErrorLog?.(s, ctx, error) ?? false;
    this.#failureLog.record(s, error, suppressed, () =>
      inner.requestSummary !== undefined ? inner.requestSummary(s, ctx) : s.requestSummary(),
    );
    if (lifecycle.failure.hasSubscribers) lifecycle.failure.publish({ session: s, error });
    sessionState(s).phase = ProxyPhase.FailToProxy;
    const startedBefore = s.responseStarted;
    let result: FailToProxy;
    try {
      result =
        inner.failToProxy !== undefined
          ? await inner.failToProxy(s, error, ctx)
          : await defaultFailToProxy(s, error);
    } catch (err) {
      this.#logger?.warn(proxyFailureFields(s, err, s.requestSummary()), 'failToProxy failed');
      result = { errorCode: 0, canReuseDownstream: false };
    }
    if (startedBefore && !s.downstream.closed) {
      // A response already on the wire must never look complete.
      s.downstream.destroy();
    }
    if (!result.canReuseDownstream || s.upstreamPeer !== undefined) s.disableKeepalive();
  }
}

/**
 * The error a request fails with when upstreamPeer throws. On a retry, the
 * request failed because of the attempt being retried (a hung upstream is a
 * 504 even when no other upstream is left to try): that failure is the
 * answer, and the selection error joins the chain behind it. Pingora
 * answers with the selection error instead.
 */
function retrySelectionFailed(s: Session, err: unknown): PingoraError {
  const e = toPingoraError(err);
  const chain = s.upstreamFailures;
  const previous = chain[chain.length - 1];
  if (previous === undefined) return e;
  sessionState(s).recordUpstreamFailure(e);
  return previous;
}

function publishRequest(s: Session, error: PingoraError | undefined): void {
  const peer = s.upstreamPeer;
  const event: ProxyRequestEvent = {
    method: s.reqHeader.method,
    status: s.downstream.responseWritten?.status ?? 0,
    upstream: peer === undefined ? undefined : formatSocketAddr(peer.address),
    retries: s.retries,
    upstreamReused: s.upstreamReused,
    durationMs: performance.now() - s.startedAt,
    upstreamConnectMs: s.upstreamConnectMs,
    upstreamTtfbMs: s.upstreamTtfbMs,
    requestBodyBytes: s.downstream.requestBodyBytes,
    responseBodyBytes: s.responseBodyBytes,
    error: error?.type,
  };
  proxyRequestChannel.publish(event);
}

/**
 * Pingora's default errorWhileProxy: name the peer, and retry an error marked
 * "reused only" when the connection came from the pool and the request body
 * can still be replayed.
 */
export function defaultErrorWhileProxy(
  peer: HttpPeer,
  s: Session,
  e: PingoraError,
  clientReused: boolean,
): PingoraError {
  e.moreContext(`peer: ${peer.toString()}`);
  if (e.retry === 'reused-only') e.withRetry(clientReused && !s.retryBufferTruncated);
  return e;
}

/** Pingora's default failToProxy: an error page with the status of the error kind. */
export async function defaultFailToProxy(s: Session, e: PingoraError): Promise<FailToProxy> {
  const status = errorStatus(e);
  if (status === 0 || s.downstream.closed) {
    s.downstream.destroy();
    return { errorCode: 0, canReuseDownstream: false };
  }
  if (s.responseStarted) {
    s.downstream.destroy();
    return { errorCode: status, canReuseDownstream: false };
  }
  s.disableKeepalive();
  try {
    if (isGrpcRequest(s.reqHeader)) s.downstream.writeResponse(grpcErrorResponse(status, e));
    else await s.respondError(status);
  } catch {
    s.downstream.destroy();
  }
  return { errorCode: status, canReuseDownstream: false };
}
