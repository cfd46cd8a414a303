/**
 * SessionState: the proxy's own bookkeeping for one request (retry buffer,
 * attempt state, the request deadline, counters), kept out of the public
 * Session. Filters read what they need through Session's getters; the
 * proxy's collaborators (HttpProxy, exchange, request pump, cache phases)
 * write it through `sessionState(session)`, which the package does not export.
 */

import type { HttpCache } from '@pingora-ts/cache';
import type {
  HttpClientSession,
  HttpPeer,
  ResponseCompression,
  UpstreamTlsDigest,
} from '@pingora-ts/core';
import { type DeadlineOwner, isDirectReadView } from '@pingora-ts/core/h1';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import type { HeaderList, ResponseHeader } from '@pingora-ts/http';
import { ProxyPhase } from './proxy-phase.ts';
import type { ResponseTap } from './response-tap.ts';

/** How much request body is kept to replay on a retry (Pingora's retry buffer). */
export const RETRY_BUFFER_LIMIT = 64 * 1024;

/**
 * Most attempt failures a request keeps for the logs: the first one and the
 * latest FAILURE_CHAIN_LIMIT - 1 (max_retries may allow 1,000 attempts).
 */
export const FAILURE_CHAIN_LIMIT = 8;

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

/** One request's internal state; see the module doc. The request deadline's wheel entry. */
export class SessionState implements DeadlineOwner {
  /** Upstream attempts that failed and were retried. */
  retries = 0;
  /** The phase the request is in (where it failed, once it has). */
  phase: ProxyPhase = ProxyPhase.EarlyRequestFilter;
  /** Whether the last upstream connection came from the pool. */
  upstreamReused = false;
  /** The peer of the last upstream attempt. */
  upstreamPeer: HttpPeer | undefined = undefined;
  /** The TLS digest of the last upstream connection; undefined for plaintext. */
  upstreamTls: UpstreamTlsDigest | undefined = undefined;
  /** The upstream response header as received (before the response filters). */
  upstreamResponse: ResponseHeader | undefined = undefined;
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
  /** The upstream compression context, once asked for. */
  upstreamCompressionCtx: ResponseCompression | undefined = undefined;

  /** Request body kept for a retry (up to RETRY_BUFFER_LIMIT). */
  retryBuffer: Buffer[] = [];
  /** Bytes in retryBuffer. */
  retryBufferBytes = 0;
  /** The body outgrew the retry buffer: a retry cannot replay it. */
  retryBufferTruncated = false;
  /** Request body bytes filters read through readRequestBody(). */
  bodyBytesReadEarly = 0;
  /** The request body was read to its end. */
  requestBodyComplete = false;
  /** The request trailers, once read. */
  requestTrailers: HeaderList | undefined = undefined;
  /** The cache state if `session.cache` was ever used for this request. */
  cacheState: HttpCache | undefined = undefined;
  /** The cache's hook into the upstream response of this request, if any. */
  cacheTap: ResponseTap | undefined = undefined;

  /** Failed attempts, oldest first (bounded; see recordUpstreamFailure). */
  failures: PingoraError[] | undefined = undefined;
  /** Failures dropped from the middle of the chain. */
  failuresDropped = 0;

  /** DeadlineOwner: the request deadline (wheel clock ms, 0 = none) on core's shared wheel. */
  deadline = 0;
  /** DeadlineOwner: the deadline wheel's slot (owned by the wheel). */
  wheelTick = 0;
  /** The request's total timeout in ms (for the deadline's message). */
  timeoutMs = 0;
  /** The upstream session of the attempt in progress (the deadline ends it). */
  activeUpstream: HttpClientSession | undefined = undefined;
  /** The request deadline passed: no further attempt is made. */
  timedOut: PingoraError | undefined = undefined;
  /** Rejects a connect being waited for when the deadline passes first. */
  #onTimedOut: ((error: PingoraError) => void) | undefined = undefined;

  /** DeadlineOwner: the request deadline passed. */
  onDeadline(): void {
    if (this.timedOut !== undefined) return;
    const up = this.activeUpstream;
    const error = PingoraError.create(
      ErrorType.ReadTimedout,
      up === undefined ? ErrorSource.Internal : ErrorSource.Upstream,
      `request not done within its ${this.timeoutMs} ms deadline`,
    );
    this.timedOut = error;
    up?.destroy(error);
    const waiter = this.#onTimedOut;
    this.#onTimedOut = undefined;
    waiter?.(error.asUpstream());
  }

  /**
   * `connecting` (a new upstream connection), or the deadline's error if it
   * passes first: a connect with no limit of its own cannot outlive the
   * request. A connection that arrives too late is closed. No wrapper
   * without an armed deadline.
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

  /** Appends an attempt's failure to the chain: the first and the latest FAILURE_CHAIN_LIMIT - 1 stay. */
  recordUpstreamFailure(error: PingoraError): void {
    const chain = this.failures;
    if (chain === undefined) {
      this.failures = [error];
      return;
    }
    if (chain.length >= FAILURE_CHAIN_LIMIT) {
      chain.splice(1, 1);
      this.failuresDropped++;
    }
    chain.push(error);
  }

  /** Keeps a request body piece to replay it on a retry. */
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
}
