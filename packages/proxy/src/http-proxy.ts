/**
 * HttpProxy: the HttpServerApp that runs a ProxyHttp implementation for
 * every request (Pingora's HttpProxy): request phases, upstream selection
 * with retries and failover, the duplex exchange, failure answers, and
 * logging. Wrap it in core's HttpServer to get a ServerApp for a service.
 */
import {
  formatSocketAddr,
  type HttpAppDone,
  type HttpClientSession,
  HttpConnector,
  HttpModules,
  type HttpPeer,
  type HttpServerApp,
  type HttpServerSession,
  ResponseCompressionBuilder,
} from '@pingora-ts/core';
import { markRetryByReuse } from '@pingora-ts/core/connectors';
import { releaseDeadline } from '@pingora-ts/core/h1';
import { ErrorSource, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';
import { upstreamTls } from '@pingora-ts/tls-openssl';
import { revalidateInBackground } from './cache-background.ts';
import { proxyFailureFields, serializeProxyError } from './error-log.ts';
import type { ErrorLogLimiterOptions } from './error-log-limiter.ts';
import { errorStatus } from './error-status.ts';
import { Exchange, ExchangeOutcome, type ExchangeOwner } from './exchange.ts';
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
import type { SessionState } from './session-state.ts';
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

/** Tells `done` how `p` settles (the paths that need a promise anyway). */
function settle(p: Promise<void>, done: HttpAppDone): void {
  p.then(
    () => done.appDone(),
    (err: unknown) => done.appFailed(err),
  );
}

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

  processNewHttp(downstream: HttpServerSession, shutdown: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.serveHttp(downstream, shutdown, { appDone: resolve, appFailed: reject });
    });
  }

  /**
   * processNewHttp told through `done`. The common request (no phase
   * answered or went async, a synchronous upstreamPeer, a pooled upstream
   * connection) makes its first attempt without a promise or closure.
   */
  serveHttp(downstream: HttpServerSession, _shutdown: AbortSignal, done: HttpAppDone): void {
    const inner = this.inner;
    const session = new Session(downstream, this.modules.buildCtx());
    const ctx = inner.newCtx();
    if (this.#requestTimeoutMs > 0) session.setRequestTimeout(this.#requestTimeoutMs);
    if (lifecycle.requestStart.hasSubscribers) lifecycle.requestStart.publish({ session });
    let phases: boolean | Promise<boolean>;
    try {
      phases = this.#requestPhases(session, ctx);
    } catch (err) {
      settle(this.#serve(session, ctx, true, err), done);
      return;
    }
    // Answered synchronously (a fresh cache hit, a filter's direct answer): no promise at all.
    if (phases === true) {
      let end: void | Promise<void>;
      try {
        end = this.#end(session, ctx, undefined);
      } catch (err) {
        done.appFailed(err);
        return;
      }
      if (end === undefined) done.appDone();
      else settle(end, done);
      return;
    }
    if (phases !== false) settle(this.#serve(session, ctx, phases, NOT_THROWN), done);
    else this.#firstAttempt(session, ctx, done);
  }

  /**
   * The first upstream attempt, driven by callbacks when the peer is known
   * at once and the pool has a connection for it; otherwise (and for every
   * retry) the general loop, #proxyToUpstream, takes over.
   */
  #firstAttempt(s: Session, ctx: Ctx, done: HttpAppDone): void {
    const inner = this.inner;
    const st = sessionState(s);
    const pump = new RequestPump(s, inner, ctx);
    st.phase = ProxyPhase.UpstreamPeer;
    let chosen: HttpPeer | Promise<HttpPeer>;
    try {
      chosen = inner.upstreamPeer(s, ctx);
    } catch (err) {
      settle(this.#serve(s, ctx, true, retrySelectionFailed(s, err)), done);
      return;
    }
    const up =
      isPromise(chosen) || st.timedOut !== undefined
        ? undefined
        : this.connector.reusedHttpSession?.(chosen);
    if (up === undefined) {
      settle(this.#proxied(s, ctx, this.#proxyToUpstream(s, ctx, pump, chosen)), done);
      return;
    }
    const peer = chosen as HttpPeer;
    this.#attemptStart(s, st, peer);
    this.#connected(s, st, peer, up, true, -1);
    const ex = new Exchange(s, inner, ctx, up, pump, this.#tunnelIdleMs);
    ex.peer = peer;
    ex.reused = true;
    ex.done = done;
    let req: RequestHeader | Promise<RequestHeader>;
    try {
      req = this.#upstreamRequest(s, st, ctx, peer, true, pump);
    } catch (err) {
      this.#firstAttemptFailed(ex, err);
      return;
    }
    if (!isPromise(req)) ex.start(req, this.#exchangeOwner);
    else {
      req.then(
        (r) => ex.start(r, this.#exchangeOwner),
        (err: unknown) => this.#firstAttemptFailed(ex, err),
      );
    }
  }

  /** Where fast-path exchanges end: settled on a microtask, as an awaited promise would be. */
  readonly #exchangeOwner: ExchangeOwner<Ctx> = {
    exchangeEnded: (ex) => this.#queueEnded(ex),
    exchangeFailed: (ex) => this.#queueEnded(ex),
  };
  /**
   * Exchanges that ended and wait for #flushEnded (one microtask for all of
   * them): the first #endedCount slots. The array keeps its capacity (a
   * length set to 0 would free it, and the next push allocate it again).
   */
  readonly #ended: (Exchange<Ctx> | undefined)[] = [];
  #endedCount = 0;

  #queueEnded(ex: Exchange<Ctx>): void {
    this.#ended[this.#endedCount++] = ex;
    if (this.#endedCount === 1) queueMicrotask(this.#flushEnded);
  }

  /**
   * Runs the end of the ended attempts outside the upstream's read callback
   * (its connection goes back to the pool, the next request may start).
   */
  readonly #flushEnded = (): void => {
    const list = this.#ended;
    for (let i = 0; i < this.#endedCount; i++) {
      const ex = list[i] as Exchange<Ctx>;
      list[i] = undefined;
      this.#firstAttemptEnded(ex);
    }
    this.#endedCount = 0;
  };

  #firstAttemptEnded(ex: Exchange<Ctx>): void {
    const result = ex.result;
    if (result instanceof PingoraError) {
      this.#firstAttemptFailed(ex, result);
      return;
    }
    const s = ex.session;
    const ctx = ex.ctx;
    const done = ex.done as HttpAppDone;
    let tail: Promise<void> | undefined;
    try {
      tail = this.#attemptEnded(s, ctx, ex.peer as HttpPeer, ex.upstream, result);
    } catch (err) {
      this.#firstAttemptFailed(ex, err);
      return;
    }
    if (tail !== undefined) {
      settle(this.#proxied(s, ctx, tail), done);
      return;
    }
    let end: void | Promise<void>;
    try {
      end = this.#end(s, ctx, undefined);
    } catch (err) {
      done.appFailed(err);
      return;
    }
    if (end === undefined) done.appDone();
    else settle(end, done);
  }

  /** The first attempt failed: the answer, or a retry through the general loop. */
  #firstAttemptFailed(ex: Exchange<Ctx>, err: unknown): void {
    const s = ex.session;
    const ctx = ex.ctx;
    const done = ex.done as HttpAppDone;
    let e: PingoraError | undefined;
    try {
      e = this.#attemptFailed(s, ctx, ex.peer as HttpPeer, ex.upstream, ex.reused, ex.pump, err);
    } catch (thrown) {
      e = toPingoraError(thrown);
    }
    if (e !== undefined) settle(this.#serve(s, ctx, true, e), done);
    else settle(this.#proxied(s, ctx, this.#proxyToUpstream(s, ctx, ex.pump, undefined)), done);
  }

  /** The rest of a request once `proxying` settles: its end, or the failure answer. */
  #proxied(s: Session, ctx: Ctx, proxying: Promise<void>): Promise<void> {
    return proxying.then(
      () => this.#end(s, ctx, undefined),
      (err: unknown) => this.#serve(s, ctx, true, err),
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
      if (!answered)
        await this.#proxyToUpstream(s, ctx, new RequestPump(s, this.inner, ctx), undefined);
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

  /**
   * upstreamPeer -> connect -> exchange, looping on retryable failures;
   * `first` is a peer upstreamPeer already chose for the first attempt.
   */
  async #proxyToUpstream(
    s: Session,
    ctx: Ctx,
    pump: RequestPump<Ctx>,
    first: HttpPeer | Promise<HttpPeer> | undefined,
  ): Promise<void> {
    const inner = this.inner;
    const st = sessionState(s);
    let chosenFirst = first;
    for (;;) {
      st.phase = ProxyPhase.UpstreamPeer;
      let peer: HttpPeer;
      try {
        const chosen = chosenFirst ?? inner.upstreamPeer(s, ctx);
        chosenFirst = undefined;
        peer = isPromise(chosen) ? await chosen : chosen;
      } catch (err) {
        throw retrySelectionFailed(s, err);
      }
      if (st.timedOut !== undefined) throw st.timedOut;
      this.#attemptStart(s, st, peer);
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
      this.#connected(s, st, peer, up, reused, connectStart);
      try {
        const r = this.#upstreamRequest(s, st, ctx, peer, reused, pump);
        const req = isPromise(r) ? await r : r;
        const exchange = new Exchange(s, inner, ctx, up, pump, this.#tunnelIdleMs);
        const outcome = await exchange.run(req);
        // returned, not awaited: a failure while serving from cache is no upstream error to retry
        return this.#attemptEnded(s, ctx, peer, up, outcome);
      } catch (err) {
        const e = this.#attemptFailed(s, ctx, peer, up, reused, pump, err);
        if (e === undefined) continue;
        throw e;
      }
    }
  }

  #attemptStart(s: Session, st: SessionState, peer: HttpPeer): void {
    st.upstreamPeer = peer;
    st.phase = ProxyPhase.Connect;
    if (lifecycle.attemptStart.hasSubscribers) {
      lifecycle.attemptStart.publish({ session: s, peer, attempt: s.retries });
    }
  }

  /** The attempt has its upstream connection `up`. */
  #connected(
    s: Session,
    st: SessionState,
    peer: HttpPeer,
    up: HttpClientSession,
    reused: boolean,
    connectStart: number,
  ): void {
    st.activeUpstream = up;
    st.upstreamReused = reused;
    st.upstreamTls = up.upstreamTls;
    const timing = st.upstreamTiming;
    timing.connected = performance.now() - s.startedAt;
    timing.connectStart = connectStart < 0 ? timing.connected : connectStart;
    const o = peer.options;
    if (o.readTimeout !== undefined) up.readTimeoutMs = o.readTimeout;
    if (o.writeTimeout !== undefined) up.writeTimeoutMs = o.writeTimeout;
  }

  /** connectedToUpstream, then the upstream request and its filter (synchronous unless one is not). */
  #upstreamRequest(
    s: Session,
    st: SessionState,
    ctx: Ctx,
    peer: HttpPeer,
    reused: boolean,
    pump: RequestPump<Ctx>,
  ): RequestHeader | Promise<RequestHeader> {
    const inner = this.inner;
    if (inner.connectedToUpstream !== undefined) {
      st.phase = ProxyPhase.ConnectedToUpstream;
      const r = inner.connectedToUpstream(s, reused, peer, ctx);
      if (isPromise(r)) return r.then(() => this.#buildRequest(s, st, ctx, peer, pump));
    }
    return this.#buildRequest(s, st, ctx, peer, pump);
  }

  #buildRequest(
    s: Session,
    st: SessionState,
    ctx: Ctx,
    peer: HttpPeer,
    pump: RequestPump<Ctx>,
  ): RequestHeader | Promise<RequestHeader> {
    const inner = this.inner;
    const req = upstreamRequestFrom(s, peer);
    if (st.cacheTap !== undefined) st.cacheTap.upstreamRequest(req);
    if (inner.upstreamRequestFilter === undefined)
      return this.#requestReady(s, st, req, pump, false);
    st.phase = ProxyPhase.UpstreamRequestFilter;
    const r = inner.upstreamRequestFilter(s, req, ctx);
    if (isPromise(r)) return r.then(() => this.#requestReady(s, st, req, pump, true));
    return this.#requestReady(s, st, req, pump, true);
  }

  #requestReady(
    s: Session,
    st: SessionState,
    req: RequestHeader,
    pump: RequestPump<Ctx>,
    filtered: boolean,
  ): RequestHeader {
    // A filter that dropped Content-Length (to resize the body) gets chunked framing.
    if (
      filtered &&
      pump.hasBody &&
      !req.hasHeader('content-length') &&
      !req.hasHeader('transfer-encoding')
    ) {
      req.appendHeader('Transfer-Encoding', 'chunked');
    }
    st.phase = ProxyPhase.Proxy;
    if (lifecycle.upstreamRequest.hasSubscribers) {
      lifecycle.upstreamRequest.publish({ session: s, request: req });
    }
    return req;
  }

  /** The exchange ended with `outcome`: the upstream connection back to the pool or closed. */
  #attemptEnded(
    s: Session,
    ctx: Ctx,
    peer: HttpPeer,
    up: HttpClientSession,
    outcome: ExchangeOutcome,
  ): Promise<void> | undefined {
    sessionState(s).activeUpstream = undefined;
    if (lifecycle.attemptEnd.hasSubscribers) {
      lifecycle.attemptEnd.publish({ session: s, peer, error: undefined });
    }
    if (outcome === ExchangeOutcome.Reusable) this.connector.releaseHttpSession(up, peer);
    else if (outcome === ExchangeOutcome.Done) up.destroy();
    else if (outcome === ExchangeOutcome.Diverted) return this.#cache?.serveDiverted(s, ctx);
    return undefined;
  }

  /**
   * The attempt on `up` failed with `err`: the error the request fails
   * with, or undefined when it is retried.
   */
  #attemptFailed(
    s: Session,
    ctx: Ctx,
    peer: HttpPeer,
    up: HttpClientSession,
    reused: boolean,
    pump: RequestPump<Ctx>,
    err: unknown,
  ): PingoraError | undefined {
    const inner = this.inner;
    const st = sessionState(s);
    st.activeUpstream = undefined;
    pump.detach();
    up.destroy();
    let e = toPingoraError(err);
    if (lifecycle.attemptEnd.hasSubscribers) {
      lifecycle.attemptEnd.publish({ session: s, peer, error: e });
    }
    // The client failed: not an upstream failure, and nothing to retry for.
    if (e.source === ErrorSource.Downstream) return e;
    if (s.responseStarted) {
      // Once the response started downstream nothing can be retried: it is the last failure.
      st.recordUpstreamFailure(e);
      return e;
    }
    markRetryByReuse(e, { reused, responseStarted: up.receivedResponseBytes });
    e =
      inner.errorWhileProxy !== undefined
        ? inner.errorWhileProxy(peer, s, e, ctx, reused)
        : defaultErrorWhileProxy(peer, s, e, reused);
    st.recordUpstreamFailure(e);
    if (e.retryable(reused) && !st.retryBufferTruncated && this.#mayRetry(s)) return undefined;
    return e;
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
