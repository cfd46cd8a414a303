/**
 * Session: what the ProxyHttp phases see of one request (Pingora's proxy
 * Session): the downstream request header (mutable), the connection digest,
 * the request body, ways to answer directly, and what happened so far
 * (retries, pooled upstream connection, timings). It wraps the downstream
 * HttpServerSession, which stays reachable as `downstream`.
 */

import { HttpCache } from '@pingora-ts/cache';
import {
  type HttpClientSession,
  type HttpModuleCtx,
  type HttpPeer,
  type HttpServerSession,
  ResponseCompression,
  type StreamDigest,
  type UpstreamTlsDigest,
} from '@pingora-ts/core';
import { armDeadline, type DeadlineOwner, isDirectReadView } from '@pingora-ts/core/h1';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { type HeaderList, type RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { ProxyPhase } from './proxy-phase.ts';
import type { ResponseTap } from './response-tap.ts';

/** How much request body is kept to replay on a retry (Pingora's retry buffer). */
export const RETRY_BUFFER_LIMIT = 64 * 1024;

/**
 * Most attempt failures a request keeps for the logs: the first one and the
 * latest FAILURE_CHAIN_LIMIT - 1 (max_retries may allow 1,000 attempts).
 */
export const FAILURE_CHAIN_LIMIT = 8;

const NO_FAILURES: readonly PingoraError[] = Object.freeze([]);

/** Timings of the upstream side, ms since the request head was read. */
export interface UpstreamTiming {
  /** The last attempt started getting its connection (equals `connected` for a pool hit). */
  connectStart: number | undefined;
  /** Connection established or taken from the pool (last attempt). */
  connected: number | undefined;
  /** Upstream response header received. */
  responseHeader: number | undefined;
  /** Upstream response body complete. */
  responseDone: number | undefined;
}

export class Session implements DeadlineOwner {
  /** The downstream connection's session (HTTP/1 today). */
  readonly downstream: HttpServerSession;
  /** The module instances of this request (compression, user modules). */
  readonly downstreamModules: HttpModuleCtx;
  /** @internal the upstream compression context, once asked for. */
  upstreamCompressionCtx: ResponseCompression | undefined;
  /** When the request head was read (performance.now()). */
  readonly startedAt: number;
  /** Upstream attempts that failed and were retried. */
  retries = 0;
  /** The phase the request is in (where it failed, once it has). */
  phase: ProxyPhase = ProxyPhase.EarlyRequestFilter;
  /** Whether the last upstream connection came from the pool. */
  upstreamReused = false;
  /** The peer of the last upstream attempt. */
  upstreamPeer: HttpPeer | undefined;
  /**
   * The TLS digest of the last upstream connection (version, cipher, ALPN,
   * resumed, certificate); undefined for plaintext. Set before connectedToUpstream.
   */
  upstreamTls: UpstreamTlsDigest | undefined;
  /** The upstream response header as received (before the response filters). */
  upstreamResponse: ResponseHeader | undefined;
  readonly upstreamTiming: UpstreamTiming = {
    connectStart: undefined,
    connected: undefined,
    responseHeader: undefined,
    responseDone: undefined,
  };
  /** Request body bytes sent upstream (last attempt). */
  requestBodySent = 0;
  /** Response body bytes written downstream. */
  responseBodyBytes = 0;

  /** @internal request body kept for a retry (up to RETRY_BUFFER_LIMIT). */
  retryBuffer: Buffer[] = [];
  /** @internal bytes in retryBuffer. */
  retryBufferBytes = 0;
  /** @internal the body outgrew the retry buffer: a retry cannot replay it. */
  retryBufferTruncated = false;
  /** @internal request body bytes filters read through readRequestBody(). */
  bodyBytesReadEarly = 0;
  /** @internal the request body was read to its end. */
  requestBodyComplete = false;
  /** @internal the request trailers, once read. */
  requestTrailers: HeaderList | undefined;
  /**
   * The cache state if `cache` was ever used for this request, else
   * undefined: read this (not `cache`) where no state should be made, e.g.
   * `session.cacheState?.statusText` in responseFilter.
   */
  cacheState: HttpCache | undefined;
  /** @internal the cache's hook into the upstream response of this request, if any. */
  cacheTap: ResponseTap | undefined;

  #failures: PingoraError[] | undefined;
  #failuresDropped = 0;

  /** @internal DeadlineOwner: the request deadline (wheel clock ms, 0 = none) on core's shared wheel. */
  deadline = 0;
  /** @internal DeadlineOwner: the deadline wheel's slot (owned by the wheel). */
  wheelTick = 0;
  /** @internal the upstream session of the attempt in progress (the deadline ends it). */
  activeUpstream: HttpClientSession | undefined;
  /** @internal the request deadline passed: no further attempt is made. */
  timedOut: PingoraError | undefined;
  #timeoutMs = 0;
  /** Rejects a connect being waited for when the deadline passes first. */
  #onTimedOut: ((error: PingoraError) => void) | undefined;

  constructor(downstream: HttpServerSession, modules: HttpModuleCtx) {
    this.downstream = downstream;
    this.downstreamModules = modules;
    this.startedAt = performance.now();
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
    this.upstreamCompressionCtx ??= ResponseCompression.upstream();
    return this.upstreamCompressionCtx;
  }

  /** ms the last attempt spent getting its upstream connection (about 0 when pooled). */
  get upstreamConnectMs(): number | undefined {
    const t = this.upstreamTiming;
    return t.connected === undefined || t.connectStart === undefined
      ? undefined
      : t.connected - t.connectStart;
  }

  /** ms from the upstream connection being ready to the upstream response head (time to first byte). */
  get upstreamTtfbMs(): number | undefined {
    const t = this.upstreamTiming;
    return t.responseHeader === undefined || t.connected === undefined
      ? undefined
      : t.responseHeader - t.connected;
  }

  /**
   * The HTTP cache state of this request (Pingora's session.cache):
   * requestCacheFilter enables it, later phases read its phase and meta.
   */
  get cache(): HttpCache {
    this.cacheState ??= new HttpCache();
    return this.cacheState;
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
    if (this.requestBodyComplete) return null;
    const chunk = await this.downstream.readBodyChunk();
    if (chunk === null) {
      this.requestBodyComplete = true;
      return null;
    }
    const copy = Buffer.from(chunk);
    this.bodyBytesReadEarly += copy.length;
    this.keepForRetry(copy);
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
    if (this.downstreamModules.modules.length > 0) {
      const r = this.downstreamModules.responseHeaderFilter(resp, endOfStream);
      if (r !== undefined) await r;
    }
    this.downstream.writeResponseHeader(resp);
    if (endOfStream) await this.finishResponse();
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
      this.responseBodyBytes += out.length;
      if (!this.downstream.writeBody(out)) await this.drained();
    }
    if (endOfStream) await this.finishResponse();
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
    this.#timeoutMs = ms;
    if (ms > 0) armDeadline(this, Math.max(1, ms - (performance.now() - this.startedAt)));
    else this.deadline = 0;
  }

  /** @internal DeadlineOwner: the request deadline passed. */
  onDeadline(): void {
    if (this.timedOut !== undefined) return;
    const up = this.activeUpstream;
    const error = PingoraError.create(
      ErrorType.ReadTimedout,
      up === undefined ? ErrorSource.Internal : ErrorSource.Upstream,
      `request not done within its ${this.#timeoutMs} ms deadline`,
    );
    this.timedOut = error;
    up?.destroy(error);
    const waiter = this.#onTimedOut;
    this.#onTimedOut = undefined;
    waiter?.(error.asUpstream());
  }

  /**
   * @internal `connecting` (a new upstream connection), or the deadline's
   * error if it passes first: a connect with no limit of its own cannot
   * outlive the request. A connection that arrives too late is closed. No
   * wrapper without an armed deadline.
   */
  untilDeadline<T extends { readonly session: HttpClientSession }>(
    connecting: Promise<T>,
  ): Promise<T> {
    if (this.deadline === 0) return connecting;
    return new Promise<T>((resolve, reject) => {
      this.#onTimedOut = reject;
      connecting.then(
        (lease) => {
          this.#onTimedOut = undefined;
          if (this.timedOut === undefined) resolve(lease);
          else lease.session.destroy();
        },
        (err: unknown) => {
          this.#onTimedOut = undefined;
          reject(err);
        },
      );
    });
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
    return this.#failures ?? NO_FAILURES;
  }

  /** Failures left out of `upstreamFailures` between the first and the kept latest ones. */
  get upstreamFailuresDropped(): number {
    return this.#failuresDropped;
  }

  /** @internal appends an attempt's failure to the chain (see upstreamFailures). */
  recordUpstreamFailure(error: PingoraError): void {
    const chain = this.#failures;
    if (chain === undefined) {
      this.#failures = [error];
      return;
    }
    if (chain.length >= FAILURE_CHAIN_LIMIT) {
      chain.splice(1, 1);
      this.#failuresDropped++;
    }
    chain.push(error);
  }

  /** `GET /path, Host: example.com`: what error logs say about the request. */
  requestSummary(): string {
    return this.downstream.requestSummary();
  }

  /** @internal keeps a request body piece to replay it on a retry. */
  keepForRetry(chunk: Buffer): void {
    if (this.retryBufferTruncated) return;
    if (this.retryBufferBytes + chunk.length > RETRY_BUFFER_LIMIT) {
      this.retryBufferTruncated = true;
      this.retryBuffer = [];
      this.retryBufferBytes = 0;
      return;
    }
    // A small view would pin its whole parent buffer (a socket read) until
    // the request ends: keep a copy of it instead.
    // A view of the shared read buffer (BodySink.takesTransientChunks) is only valid during the read.
    this.retryBuffer.push(
      chunk.length * 2 < chunk.buffer.byteLength || isDirectReadView(chunk)
        ? Buffer.from(chunk)
        : chunk,
    );
    this.retryBufferBytes += chunk.length;
  }

  private async finishResponse(): Promise<void> {
    if (this.downstreamModules.modules.length > 0) this.downstreamModules.responseDone();
    await this.downstream.finishResponse();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.downstream.onDrain(() => {
        if (this.downstream.closed) {
          reject(PingoraError.explain(ErrorType.WriteError, 'client went away').asDownstream());
        } else resolve();
      });
    });
  }
}
