/**
 * Exchange: one attempt at proxying a request to one upstream connection,
 * in duplex (Pingora's proxy_h1): the request header goes out, the body
 * streams up while the response header and body stream down, each with
 * backpressure. It settles once both directions are done, or with the
 * first error, after which the proxy decides about a retry.
 */
import type { HttpAppDone, HttpClientSession, HttpPeer, ResponseHeadSink } from '@pingora-ts/core';
import { type BodySink, isDirectReadView, type TunnelHandoff } from '@pingora-ts/core/h1';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { removeHopByHopHeaders } from './hop-by-hop.ts';
import { isPromise } from './maybe-promise.ts';
import type { BodyFilterReturn, ProxyHttp } from './proxy-http.ts';
import { ProxyPhase } from './proxy-phase.ts';
import type { RequestPump, RequestPumpOwner } from './request-pump.ts';
import type { ResponseTap } from './response-tap.ts';
import { type Session, sessionState } from './session.ts';
import type { SessionState } from './session-state.ts';
import { startTunnel } from './tunnel.ts';

/** What the attempt ended with. */
export const ExchangeOutcome = {
  /** Response fully sent downstream; the upstream connection may be reused. */
  Reusable: 0,
  /** Response fully sent, but the upstream connection must close. */
  Done: 1,
  /** The connections became a tunnel (101) that has now closed. */
  Tunnel: 2,
  /** The cache took the response over (ResponseTap): nothing went downstream; the upstream connection is closed. */
  Diverted: 3,
} as const;
export type ExchangeOutcome = (typeof ExchangeOutcome)[keyof typeof ExchangeOutcome];

/** Hears once how an Exchange ended (the proxy: no promise per attempt). */
export interface ExchangeOwner<Ctx> {
  exchangeEnded(exchange: Exchange<Ctx>, outcome: ExchangeOutcome): void;
  exchangeFailed(exchange: Exchange<Ctx>, error: PingoraError): void;
}

/** run()'s owner: settles a promise. */
class PromiseOwner<Ctx> implements ExchangeOwner<Ctx> {
  readonly resolve: (outcome: ExchangeOutcome) => void;
  readonly reject: (error: PingoraError) => void;
  constructor(resolve: (o: ExchangeOutcome) => void, reject: (e: PingoraError) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }
  exchangeEnded(_e: Exchange<Ctx>, outcome: ExchangeOutcome): void {
    this.resolve(outcome);
  }
  exchangeFailed(_e: Exchange<Ctx>, error: PingoraError): void {
    this.reject(error);
  }
}

export class Exchange<Ctx> implements BodySink, ResponseHeadSink, RequestPumpOwner {
  /** @internal the proxy's bookkeeping of this attempt (see HttpProxy). */
  peer: HttpPeer | undefined = undefined;
  /** @internal whether the upstream connection came from the pool. */
  reused = false;
  /** @internal where the request's end is told (HttpProxy's fast path). */
  done: HttpAppDone | undefined = undefined;
  /** @internal how it ended: an ExchangeOutcome, or the error it failed with. */
  result: ExchangeOutcome | PingoraError = ExchangeOutcome.Done;
  readonly #s: Session;
  readonly #st: SessionState;
  readonly #inner: ProxyHttp<Ctx>;
  readonly #ctx: Ctx;
  readonly #up: HttpClientSession;
  readonly #pump: RequestPump<Ctx>;
  readonly #tunnelIdleMs: number;
  #requestDone = false;
  #responseDone = false;
  #settled = false;
  #upstreamPaused = false;
  #owner: ExchangeOwner<Ctx> | undefined = undefined;
  // Callbacks made on first need (backpressure, async modules) and then reused.
  #resumeUpstreamCb: (() => void) | undefined;
  #onModulesCb: ((out: Buffer | null) => void) | undefined;
  #onAsyncErrorCb: ((err: unknown) => void) | undefined;
  #asyncEos = false;
  #trailers: HeaderList | undefined;
  /** The cache's tap once it saw the head (only for requests with the cache on). */
  #tap: ResponseTap | undefined;
  /** The client went away while the cache stores the response: the body is still read. */
  #downstreamGone = false;

  constructor(
    session: Session,
    inner: ProxyHttp<Ctx>,
    ctx: Ctx,
    up: HttpClientSession,
    pump: RequestPump<Ctx>,
    tunnelIdleMs: number,
  ) {
    this.#tunnelIdleMs = tunnelIdleMs;
    this.#s = session;
    this.#st = sessionState(session);
    this.#inner = inner;
    this.#ctx = ctx;
    this.#up = up;
    this.#pump = pump;
  }

  get #resumeUpstream(): () => void {
    this.#resumeUpstreamCb ??= () => {
      if (this.#settled) return;
      this.#upstreamPaused = false;
      this.#up.resumeBody();
    };
    return this.#resumeUpstreamCb;
  }

  get #onModules(): (out: Buffer | null) => void {
    this.#onModulesCb ??= (out) => {
      if (this.#settled) return;
      if (this.#write(out, this.#asyncEos)) this.#afterWrite(this.#asyncEos);
    };
    return this.#onModulesCb;
  }

  get #onAsyncError(): (err: unknown) => void {
    this.#onAsyncErrorCb ??= (err) => this.#fail(toPingoraError(err));
    return this.#onAsyncErrorCb;
  }

  /** The downstream request's session. */
  get session(): Session {
    return this.#s;
  }

  get ctx(): Ctx {
    return this.#ctx;
  }

  get upstream(): HttpClientSession {
    return this.#up;
  }

  get pump(): RequestPump<Ctx> {
    return this.#pump;
  }

  /** Sends `req` upstream and proxies until the response is complete downstream. */
  run(req: RequestHeader): Promise<ExchangeOutcome> {
    return new Promise<ExchangeOutcome>((resolve, reject) => {
      this.start(req, new PromiseOwner(resolve, reject));
    });
  }

  /** run() told to `owner` (exactly once, possibly before this returns) instead of a promise. */
  start(req: RequestHeader, owner: ExchangeOwner<Ctx>): void {
    this.#owner = owner;
    try {
      this.#up.writeRequestHeader(req);
    } catch (err) {
      this.#fail(toPingoraError(err, { phase: 'write', source: ErrorSource.Upstream }));
      return;
    }
    const up = this.#up;
    if (up.readResponseHeaderInto !== undefined) {
      // 1xx heads come to onInformationalHead: no promise or closure per request.
      this.#pump.start(up, this);
      up.readResponseHeaderInto(this);
      return;
    }
    up.onInformational = (resp) => this.onInformationalHead(resp);
    this.#pump.start(up, this);
    up.readResponseHeader().then(
      (resp) => this.onResponseHead(resp),
      (err: unknown) =>
        this.onResponseHeadError(
          toPingoraError(err, { phase: 'read', source: ErrorSource.Upstream }),
        ),
    );
  }

  #resolve(outcome: ExchangeOutcome): void {
    this.result = outcome;
    this.#owner?.exchangeEnded(this, outcome);
  }

  #reject(error: PingoraError): void {
    this.result = error;
    this.#owner?.exchangeFailed(this, error);
  }

  /** @internal ResponseHeadSink: the upstream's final response head. */
  onResponseHead(resp: ResponseHeader): void {
    this.#onResponseHeader(resp);
  }

  /** @internal ResponseHeadSink: reading the response head failed. */
  onResponseHeadError(error: PingoraError): void {
    this.#fail(toPingoraError(error, { source: ErrorSource.Upstream }));
  }

  // ---- request direction (RequestPumpOwner) ----

  requestSent(): void {
    this.#requestDone = true;
    this.#maybeDone();
  }

  requestFailed(error: PingoraError): void {
    this.#fail(error);
  }

  // ---- response direction ----

  /** @internal ResponseHeadSink: a 1xx head (103 Early Hints and the like). */
  onInformationalHead(resp: ResponseHeader): void {
    // 103 Early Hints and the like: forward as they are (hop-by-hop removed).
    if (this.#settled) return;
    removeHopByHopHeaders(resp);
    try {
      this.#s.downstream.writeResponseHeader(resp);
    } catch (err) {
      this.#fail(toPingoraError(err, { phase: 'write', source: ErrorSource.Downstream }));
    }
  }

  /**
   * The response head phases, then the head goes downstream and the body
   * starts. Synchronous filters run without a promise: each step continues
   * in the same call unless a filter returned one.
   */
  #onResponseHeader(resp: ResponseHeader): void {
    if (this.#settled) return;
    const s = this.#s;
    const st = this.#st;
    st.upstreamResponse = resp;
    st.upstreamTiming.responseHeader = performance.now() - s.startedAt;
    if (resp.status === 101 && !s.isUpgradeRequest) {
      // The client asked for no upgrade (a filter may have added one upstream):
      // none of this head may reach it, its connection would become a tunnel.
      this.#fail(
        PingoraError.create(
          ErrorType.InvalidHTTPHeader,
          ErrorSource.Upstream,
          'unsolicited 101 Switching Protocols: the client asked for no upgrade',
        ),
      );
      return;
    }
    const upgraded = resp.status === 101;
    const endOfStream = this.#up.responseBodyDone || upgraded;
    try {
      removeHopByHopHeaders(resp, upgraded);
      const upstreamCompression = st.upstreamCompressionCtx;
      if (upstreamCompression?.isEnabled()) {
        upstreamCompression.responseHeaderFilter(resp, endOfStream);
      }
    } catch (err) {
      this.#fail(toPingoraError(err));
      return;
    }
    this.#headFilters(resp, upgraded, endOfStream, 0);
  }

  /**
   * upstreamResponseFilter (step 0) then responseFilter (step 1), from
   * `step`; a filter's promise resumes at the next step, a synchronous one
   * costs no closure or microtask.
   */
  #headFilters(resp: ResponseHeader, upgraded: boolean, endOfStream: boolean, step: number): void {
    const inner = this.#inner;
    for (; step < 2; step++) {
      if (this.#settled) return;
      if (step === 1 && this.#st.cacheTap !== undefined && this.#tap === undefined) {
        this.#cacheHead(resp, upgraded, endOfStream);
        return;
      }
      const filter = step === 0 ? inner.upstreamResponseFilter : inner.responseFilter;
      if (filter === undefined) continue;
      this.#st.phase = step === 0 ? ProxyPhase.UpstreamResponseFilter : ProxyPhase.ResponseFilter;
      let r: unknown;
      try {
        r = filter.call(inner, this.#s, resp, this.#ctx);
      } catch (err) {
        this.#fail(toPingoraError(err));
        return;
      }
      if (isPromise(r)) {
        const next = step + 1;
        r.then(() => this.#headFilters(resp, upgraded, endOfStream, next), this.#onAsyncError);
        return;
      }
    }
    this.#moduleHeaderFilters(resp, upgraded, endOfStream);
  }

  /** The cache's look at the head (between the two filters); it may divert the response. */
  #cacheHead(resp: ResponseHeader, upgraded: boolean, endOfStream: boolean): void {
    const tap = this.#st.cacheTap as ResponseTap;
    this.#tap = tap;
    let r: boolean | Promise<boolean>;
    try {
      r = tap.responseHeader(resp, endOfStream);
    } catch (err) {
      this.#fail(toPingoraError(err));
      return;
    }
    const go = (forward: boolean) => {
      if (this.#settled) return;
      if (!forward) {
        this.#divert();
        return;
      }
      this.#headFilters(resp, upgraded, endOfStream, 1);
    };
    if (isPromise(r)) r.then(go, this.#onAsyncError);
    else go(r);
  }

  /** The cache answers instead: close the upstream exchange without a downstream write. */
  #divert(): void {
    this.#settled = true;
    this.#pump.detach();
    this.#up.onInformational = undefined;
    this.#up.destroy();
    this.#resolve(ExchangeOutcome.Diverted);
  }

  #moduleHeaderFilters(resp: ResponseHeader, upgraded: boolean, endOfStream: boolean): void {
    if (this.#settled) return;
    this.#st.phase = ProxyPhase.Proxy;
    // Called even with no module built: idle ones built later replay this header.
    let r: Promise<void> | void;
    try {
      r = this.#s.downstreamModules.responseHeaderFilter(resp, endOfStream);
    } catch (err) {
      this.#fail(toPingoraError(err));
      return;
    }
    if (r !== undefined) {
      r.then(() => this.#sendResponseHeader(resp, upgraded), this.#onAsyncError);
      return;
    }
    this.#sendResponseHeader(resp, upgraded);
  }

  #sendResponseHeader(resp: ResponseHeader, upgraded: boolean): void {
    if (this.#settled) return;
    try {
      this.#s.downstream.writeResponseHeader(resp);
    } catch (err) {
      if (this.#tap?.storing === true && !upgraded) this.#downstreamGone = true;
      else {
        this.#fail(toPingoraError(err));
        return;
      }
    }
    if (upgraded) {
      this.#tunnel();
      return;
    }
    this.#up.readBodyInto(this);
  }

  /** Chunks are written downstream within onData, or copied first for filters that may keep them. */
  readonly takesTransientChunks = true;

  onData(chunk: Buffer): boolean {
    if (this.#settled) return false;
    // The lifetime rule (BodySink): a view of the shared read buffer dies when
    // this returns; body filters, the cache tap and decompression get a copy.
    const ok = this.#process(
      isDirectReadView(chunk) && this.#filtersKeepChunks() ? Buffer.from(chunk) : chunk,
      false,
    );
    if (!ok) this.#upstreamPaused = true;
    return ok;
  }

  onEnd(trailers: HeaderList | undefined): void {
    if (this.#settled) return;
    const s = this.#s;
    this.#trailers = trailers;
    this.#st.upstreamTiming.responseDone = performance.now() - s.startedAt;
    let last: Buffer | null = null;
    if (trailers !== undefined && s.downstreamModules.modules.length > 0) {
      // A module may turn the trailers into body bytes (the gRPC-web trailer frame).
      const bytes = s.downstreamModules.responseTrailerFilter(trailers);
      if (bytes !== undefined) {
        last = bytes;
        this.#trailers = undefined;
      }
    }
    if (this.#process(last, true)) this.#afterWrite(true);
  }

  onError(error: PingoraError): void {
    this.#fail(error);
  }

  /** Whether anything between upstream and downstream may hold on to a body chunk. */
  #filtersKeepChunks(): boolean {
    const s = this.#s;
    const inner = this.#inner;
    return (
      inner.upstreamResponseBodyFilter !== undefined ||
      inner.responseBodyFilter !== undefined ||
      this.#tap !== undefined ||
      this.#st.upstreamCompressionCtx?.isEnabled() === true ||
      s.downstreamModules.bodyFiltersKeepChunks(true)
    );
  }

  /** Runs one piece of response body through decompression, the filters and the modules. */
  #process(chunk: Buffer | null, eos: boolean): boolean {
    const upstreamCompression = this.#st.upstreamCompressionCtx;
    if (upstreamCompression?.isEnabled()) {
      const decoded = upstreamCompression.responseBodyFilter(chunk, eos);
      if (decoded !== undefined) {
        this.#asyncEos = eos;
        decoded.then((out) => {
          if (this.#settled) return;
          if (this.#filters(out, eos)) this.#afterWrite(eos);
        }, this.#onAsyncError);
        return false;
      }
    }
    return this.#filters(chunk, eos);
  }

  #filters(chunk: Buffer | null, eos: boolean): boolean {
    const s = this.#s;
    const inner = this.#inner;
    let body = chunk;
    let out: BodyFilterReturn | Buffer | null | Promise<Buffer | null>;
    try {
      if (inner.upstreamResponseBodyFilter !== undefined) {
        out = inner.upstreamResponseBodyFilter(s, body, eos, this.#ctx);
        if (out !== undefined) body = out;
      }
      if (this.#tap !== undefined) body = this.#tap.responseBody(body, eos);
      if (inner.responseBodyFilter !== undefined) {
        out = inner.responseBodyFilter(s, body, eos, this.#ctx);
        if (out !== undefined) body = out;
      }
      if (s.downstreamModules.modules.length > 0) {
        out = s.downstreamModules.responseBodyFilter(body, eos);
        if (isPromise(out)) {
          this.#asyncEos = eos;
          out.then(this.#onModules, this.#onAsyncError);
          return false;
        }
        body = out;
      }
    } catch (err) {
      this.#fail(toPingoraError(err));
      return false;
    }
    return this.#write(body, eos);
  }

  /** Writes downstream; false when its send buffer is full (or the attempt failed). */
  #write(body: Buffer | null, eos: boolean): boolean {
    if (body === null || body.length === 0) return true;
    if (this.#downstreamGone) return this.#keepStoring();
    const s = this.#s;
    this.#st.responseBodyBytes += body.length;
    try {
      if (s.downstream.writeBody(body)) return true;
    } catch (err) {
      if (this.#tap?.storing === true) {
        this.#downstreamGone = true;
        return true;
      }
      this.#fail(toPingoraError(err, { phase: 'write', source: ErrorSource.Downstream }));
      return false;
    }
    if (eos) {
      // Finish once the data is out; the finish itself waits for the drain.
      s.downstream.onDrain(() => this.#afterWrite(true));
    } else {
      s.downstream.onDrain(this.#resumeUpstream);
    }
    return false;
  }

  /** The client is gone: go on reading only while the cache still stores the body. */
  #keepStoring(): boolean {
    if (this.#tap?.storing === true) return true;
    this.#fail(
      PingoraError.create(ErrorType.WriteError, ErrorSource.Downstream, 'client went away'),
    );
    return false;
  }

  /** Continues after a piece was written (possibly after an async step). */
  #afterWrite(eos: boolean): void {
    if (this.#settled) return;
    if (!eos) {
      if (this.#upstreamPaused) this.#resumeUpstream();
      return;
    }
    if (this.#s.downstream.closed) {
      this.#fail(
        PingoraError.create(ErrorType.WriteError, ErrorSource.Downstream, 'client went away'),
      );
      return;
    }
    this.#finishResponse();
  }

  /** Trailer filters (which may be async), then the response ends downstream. */
  #finishResponse(): void {
    const trailers = this.#trailers;
    const inner = this.#inner;
    if (
      trailers === undefined ||
      (inner.upstreamResponseTrailerFilter === undefined &&
        inner.responseTrailerFilter === undefined)
    ) {
      this.#endResponse(trailers);
      return;
    }
    this.#trailerFilters(trailers).then(
      () => this.#endResponse(trailers),
      (err: unknown) => this.#fail(toPingoraError(err)),
    );
  }

  async #trailerFilters(trailers: HeaderList): Promise<void> {
    const s = this.#s;
    const inner = this.#inner;
    if (inner.upstreamResponseTrailerFilter !== undefined) {
      await inner.upstreamResponseTrailerFilter(s, trailers, this.#ctx);
    }
    if (inner.responseTrailerFilter !== undefined) {
      await inner.responseTrailerFilter(s, trailers, this.#ctx);
    }
  }

  #endResponse(upstreamTrailers: HeaderList | undefined): void {
    if (this.#settled) return;
    const s = this.#s;
    let trailers = upstreamTrailers;
    // A (de)compressed body is not the one the upstream's trailers describe.
    if (
      trailers !== undefined &&
      (this.#st.upstreamCompressionCtx?.stats() !== undefined ||
        s.downstreamCompression()?.stats() !== undefined)
    ) {
      trailers = undefined;
    }
    try {
      if (s.downstreamModules.modules.length > 0) s.downstreamModules.responseDone();
      // The next readRequest waits for the send buffer: no need to wait here.
      s.downstream.endResponse(trailers);
    } catch (err) {
      this.#fail(toPingoraError(err, { phase: 'write', source: ErrorSource.Downstream }));
      return;
    }
    this.#responseDone = true;
    if (!this.#requestDone) {
      // The upstream answered before taking the whole body (e.g. 413): stop
      // sending; the connection cannot be reused with a half-sent request.
      this.#pump.detach();
    }
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#settled || !this.#responseDone) return;
    this.#settled = true;
    this.#up.onInformational = undefined;
    this.#resolve(
      this.#requestDone && this.#up.reusable() ? ExchangeOutcome.Reusable : ExchangeOutcome.Done,
    );
  }

  #tunnel(): void {
    const s = this.#s;
    this.#st.deadline = 0; // a tunnel lives by its idle limit, not the request deadline
    this.#pump.detach();
    this.#settled = true;
    let down: TunnelHandoff;
    let up: TunnelHandoff;
    try {
      down = s.downstream.upgradeToTunnel();
      up = this.#up.upgradeToTunnel();
    } catch (err) {
      this.#settled = false;
      this.#fail(toPingoraError(err));
      return;
    }
    const idleMs = s.upstreamPeer?.options.upgradeIdleTimeout ?? this.#tunnelIdleMs;
    startTunnel(down, up, idleMs).then(
      () => this.#resolve(ExchangeOutcome.Tunnel),
      (err: unknown) => this.#reject(toPingoraError(err)),
    );
  }

  #fail(error: PingoraError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#pump.detach();
    this.#up.onInformational = undefined;
    this.#up.destroy();
    this.#reject(error);
  }
}
