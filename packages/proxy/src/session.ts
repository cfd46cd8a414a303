/**
 * Session: what the ProxyHttp phases see of one request (Pingora's proxy
 * Session): the downstream request header (mutable), the connection digest,
 * the request body, ways to answer directly, and what happened so far
 * (retries, pooled upstream connection, timings), read-only. It wraps the
 * downstream HttpServerSession, which stays reachable as `downstream`. The
 * proxy's own state lives in a SessionState reached by `sessionState()`.
 */

import { HttpCache } from '@pingora-ts/cache';
import {
  type HttpModuleCtx,
  type HttpPeer,
  type HttpServerSession,
  ResponseCompression,
  type StreamDigest,
  type UpstreamTlsDigest,
} from '@pingora-ts/core';
import { armDeadline } from '@pingora-ts/core/h1';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { ProxyPhase } from './proxy-phase.ts';
import { SessionState, type UpstreamTiming } from './session-state.ts';

export { FAILURE_CHAIN_LIMIT, RETRY_BUFFER_LIMIT, type UpstreamTiming } from './session-state.ts';

const NO_FAILURES: readonly PingoraError[] = Object.freeze([]);

let stateOf: (s: Session) => SessionState;

/**
 * The proxy's internal state of `session` (for HttpProxy, the exchange, the
 * request pump and the cache phases). Not exported from the package entry.
 */
export function sessionState(session: Session): SessionState {
  return stateOf(session);
}

export class Session {
  /** The downstream connection's session (HTTP/1 today). */
  readonly downstream: HttpServerSession;
  /** The module instances of this request (compression, user modules). */
  readonly downstreamModules: HttpModuleCtx;
  /** When the request head was read (performance.now()). */
  readonly startedAt: number;
  readonly #st = new SessionState();

  static {
    stateOf = (s) => s.#st;
  }

  constructor(downstream: HttpServerSession, modules: HttpModuleCtx) {
    this.downstream = downstream;
    this.downstreamModules = modules;
    this.startedAt = performance.now();
  }

  /** Upstream attempts that failed and were retried. */
  get retries(): number {
    return this.#st.retries;
  }

  /** The phase the request is in (where it failed, once it has). */
  get phase(): ProxyPhase {
    return this.#st.phase;
  }

  /** Whether the last upstream connection came from the pool. */
  get upstreamReused(): boolean {
    return this.#st.upstreamReused;
  }

  /** The peer of the last upstream attempt. */
  get upstreamPeer(): HttpPeer | undefined {
    return this.#st.upstreamPeer;
  }

  /**
   * The TLS digest of the last upstream connection (version, cipher, ALPN,
   * resumed, certificate); undefined for plaintext. Set before connectedToUpstream.
   */
  get upstreamTls(): UpstreamTlsDigest | undefined {
    return this.#st.upstreamTls;
  }

  /** The upstream response header as received (before the response filters). */
  get upstreamResponse(): ResponseHeader | undefined {
    return this.#st.upstreamResponse;
  }

  /** Timings of the upstream side (last attempt), ms since the request head was read. */
  get upstreamTiming(): Readonly<UpstreamTiming> {
    return this.#st.upstreamTiming;
  }

  /** Request body bytes sent upstream (last attempt). */
  get requestBodySent(): number {
    return this.#st.requestBodySent;
  }

  /** Response body bytes written downstream. */
  get responseBodyBytes(): number {
    return this.#st.responseBodyBytes;
  }

  /**
   * Whether the request body outgrew the retry buffer (RETRY_BUFFER_LIMIT):
   * a failed attempt can then not be retried (Pingora's retry_buffer_truncated).
   */
  get retryBufferTruncated(): boolean {
    return this.#st.retryBufferTruncated;
  }

  /**
   * The cache state if `cache` was ever used for this request, else
   * undefined: read this (not `cache`) where no state should be made, e.g.
   * `session.cacheState?.statusText` in responseFilter.
   */
  get cacheState(): HttpCache | undefined {
    return this.#st.cacheState;
  }

  /** The downstream request header; filters may change it (upstreamRequestFilter sees a copy). */
  get reqHeader(): RequestHeader {
    return this.downstream.requestHeader as RequestHeader;
  }

  /**
   * Decompresses upstream responses before the body filters see them; off
   * by default (`session.upstreamCompression.adjustDecompression(true)`).
   * Made on first use, so requests that never ask pay nothing.
   */
  get upstreamCompression(): ResponseCompression {
    const st = this.#st;
    st.upstreamCompressionCtx ??= ResponseCompression.upstream();
    return st.upstreamCompressionCtx;
  }

  /** ms the last attempt spent getting its upstream connection (about 0 when pooled). */
  get upstreamConnectMs(): number | undefined {
    const t = this.#st.upstreamTiming;
    return t.connected === undefined || t.connectStart === undefined
      ? undefined
      : t.connected - t.connectStart;
  }

  /** ms from the upstream connection being ready to the upstream response head (time to first byte). */
  get upstreamTtfbMs(): number | undefined {
    const t = this.#st.upstreamTiming;
    return t.responseHeader === undefined || t.connected === undefined
      ? undefined
      : t.responseHeader - t.connected;
  }

  /**
   * The HTTP cache state of this request (Pingora's session.cache):
   * requestCacheFilter enables it, later phases read its phase and meta.
   */
  get cache(): HttpCache {
    const st = this.#st;
    st.cacheState ??= new HttpCache();
    return st.cacheState;
  }

  /** Who is on each end of the downstream connection. */
  get digest(): StreamDigest {
    return this.downstream.digest;
  }

  /** The client's address as `ip:port`, or undefined (Unix socket). */
  get clientAddr(): string | undefined {
    const peer = this.downstream.digest.peerAddr;
    if (peer === undefined || peer.kind !== 'inet') return undefined;
    return peer.family === 6 ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
  }

  /** True when the request asks to switch protocols (WebSocket and the like). */
  get isUpgradeRequest(): boolean {
    return this.downstream.isUpgradeRequest;
  }

  /** Whether the response header went downstream (after that, no retry and no error page). */
  get responseStarted(): boolean {
    return this.downstream.responseWritten !== undefined;
  }

  /** The downstream compression module of this request, if the proxy has one. */
  downstreamCompression(): ResponseCompression | undefined {
    return this.downstreamModules.get(ResponseCompression);
  }

  /**
   * The next piece of the request body, or null at its end. For filters
   * that need the body before proxying (requestFilter). What they read is
   * replayed to the upstream from the retry buffer, so only up to 64 KiB of
   * it can still be proxied; past that, answer the request yourself (the
   * proxy refuses with 500 rather than send a body with a hole in it).
   */
  async readRequestBody(): Promise<Buffer | null> {
    const st = this.#st;
    if (st.requestBodyComplete) return null;
    const chunk = await this.downstream.readBodyChunk();
    if (chunk === null) {
      st.requestBodyComplete = true;
      return null;
    }
    const copy = Buffer.from(chunk);
    st.bodyBytesReadEarly += copy.length;
    st.keepForRetry(copy);
    return copy;
  }

  /** Answers with an empty error response (or closes if a response already started). */
  respondError(status: number): Promise<void> {
    return this.downstream.respondError(status);
  }

  /**
   * Writes a response header downstream, through the downstream modules.
   * Use from requestFilter to answer without an upstream.
   */
  async writeResponseHeader(resp: ResponseHeader, endOfStream = false): Promise<void> {
    const r = this.downstreamModules.responseHeaderFilter(resp, endOfStream);
    if (r !== undefined) await r;
    this.downstream.writeResponseHeader(resp);
    if (endOfStream) await this.#finishResponse();
  }

  /**
   * Writes response body bytes (through the downstream modules); resolves
   * once the connection can take more. `endOfStream` finishes the response.
   */
  async writeResponseBody(body: Buffer | null, endOfStream = false): Promise<void> {
    let out: Buffer | null = body;
    if (this.downstreamModules.modules.length > 0) {
      out = await this.downstreamModules.responseBodyFilter(body, endOfStream);
    }
    if (out !== null && out.length > 0) {
      this.#st.responseBodyBytes += out.length;
      if (!this.downstream.writeBody(out)) await this.#drained();
    }
    if (endOfStream) await this.#finishResponse();
  }

  /** Answers with `status`, the given headers and body in one call (a small helper for filters). */
  async respond(
    status: number,
    body: string | Buffer = '',
    headers: Record<string, string> = {},
  ): Promise<void> {
    const resp = ResponseHeader.build(status);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    for (const [name, value] of Object.entries(headers)) resp.appendHeader(name, value);
    resp.insertHeader('Content-Length', bytes.length);
    await this.writeResponseHeader(resp, false);
    await this.writeResponseBody(bytes.length > 0 ? bytes : null, true);
  }

  /**
   * Sets this request's total deadline to `ms` after its head was read
   * (0: none), replacing the server's request_timeout_seconds; e.g. from
   * requestFilter for a slow endpoint. When it passes, the attempt in
   * progress ends and the request is answered 504 (or, once the response
   * started, its connection is closed). An upgraded tunnel is not bound by it.
   */
  setRequestTimeout(ms: number): void {
    const st = this.#st;
    st.timeoutMs = ms;
    if (ms > 0) armDeadline(st, Math.max(1, ms - (performance.now() - this.startedAt)));
    else st.deadline = 0;
  }

  /** Closes the downstream connection after this response (no keep-alive). */
  disableKeepalive(): void {
    this.downstream.setKeepalive(null);
  }

  /**
   * Keep-alive for the downstream connection (Pingora's set_keepalive): null
   * closes after this response; a number keeps it open (if the client agrees)
   * for at most that many ms of idleness, 0 meaning the server's default.
   */
  setKeepalive(idleTimeoutMs: number | null): void {
    this.downstream.setKeepalive(idleTimeoutMs);
  }

  /**
   * The failure chain of this request: every error that ended an attempt to
   * proxy it (failed connect, failed exchange, a peer selection that failed
   * on a retry), oldest first: the first failure, the retried ones, the
   * last. Bounded: the first and the latest FAILURE_CHAIN_LIMIT - 1 are kept
   * (see `upstreamFailuresDropped`). Empty when no attempt failed. Access
   * and error logs read it to show what happened before the final answer.
   */
  get upstreamFailures(): readonly PingoraError[] {
    return this.#st.failures ?? NO_FAILURES;
  }

  /** Failures left out of `upstreamFailures` between the first and the kept latest ones. */
  get upstreamFailuresDropped(): number {
    return this.#st.failuresDropped;
  }

  /** `GET /path, Host: example.com`: what error logs say about the request. */
  requestSummary(): string {
    return this.downstream.requestSummary();
  }

  async #finishResponse(): Promise<void> {
    if (this.downstreamModules.modules.length > 0) this.downstreamModules.responseDone();
    await this.downstream.finishResponse();
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.downstream.onDrain(() => {
        if (this.downstream.closed) {
          reject(PingoraError.explain(ErrorType.WriteError, 'client went away').asDownstream());
        } else resolve();
      });
    });
  }
}
