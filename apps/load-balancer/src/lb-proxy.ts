/**
 * The gateway's ProxyHttp: one select() per request over healthy upstreams
 * (keyed by the request for fnv/ketama), a retry on another upstream when a
 * connect fails (or a GET/HEAD's fresh connection fails before any answer),
 * in-flight guards for least_conn/p2c released once in the logging phase
 * (which also writes the access log line when one is configured),
 * and X-Forwarded-For/Proto for the origins.
 */
import type { AccessLog } from '@pingora-ts/access-log';
import { ALPN, HttpPeer, type HttpPeerInit } from '@pingora-ts/core';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';
import type { Backend, InFlightGuard, LoadBalancer } from '@pingora-ts/load-balancing';
import {
  addForwardedHeaders,
  defaultErrorWhileProxy,
  type ProxyHttp,
  type Session,
} from '@pingora-ts/proxy';
import type { UpstreamProtocol } from './config.ts';
import { type HashKey, requestKey } from './selection.ts';

/** Candidates examined per pick (Pingora's examples use 256). */
const MAX_ITERATIONS = 256;

/** Per request: one object, the rest made only on failure. */
export interface LbCtx {
  /** The upstream of the current attempt. */
  backend: Backend | undefined;
  /** Held while the request uses `backend` (least_conn, p2c only). */
  guard: InFlightGuard | undefined;
  /** Upstreams this request could not use: a retry goes elsewhere. */
  failed: string[] | undefined;
}

export interface LbProxyOptions {
  readonly hashKey: HashKey;
  /** Hold an in-flight guard per request (the selection reads the counts). */
  readonly countInFlight: boolean;
  /** Settings of the upstream peers (TLS from upstream_tls); default plaintext. */
  readonly peer?: HttpPeerInit | undefined;
  /** How to speak to upstreams (default http1). */
  readonly upstreamProtocol?: UpstreamProtocol;
  /** Streams per upstream HTTP/2 connection (default 100). */
  readonly maxH2Streams?: number;
  /** The `access_log` section's log, if configured. */
  readonly accessLog?: AccessLog | undefined;
}

/**
 * `base` (plaintext, or TLS from upstream_tls) with the ALPN of
 * `upstream_protocol`: h2c and h2 require HTTP/2 (h2 over TLS, made TLS
 * with default verification when upstream_tls is absent), auto lets ALPN
 * choose over TLS, http1 offers only http/1.1.
 */
export function peerInit(
  base: HttpPeerInit,
  protocol: UpstreamProtocol,
  maxH2Streams: number,
): HttpPeerInit {
  const alpn =
    protocol === 'h2c' || protocol === 'h2' ? ALPN.H2 : protocol === 'auto' ? ALPN.H2H1 : ALPN.H1;
  const init: HttpPeerInit = { ...base, options: { ...base.options, alpn, maxH2Streams } };
  return protocol === 'h2' ? { ...init, tls: true } : init;
}

export class LbProxy implements ProxyHttp<LbCtx> {
  readonly #lb: LoadBalancer;
  readonly #hashKey: HashKey;
  readonly #countInFlight: boolean;
  /** One HttpPeer per backend, made once: its options and reuse hash are then reused. */
  readonly #peers = new Map<string, HttpPeer>();
  readonly #peerInit: HttpPeerInit;

  readonly #accessLog: AccessLog | undefined;
  /** Present only with an access log: the request id (absent, the proxy skips the phase). */
  declare readonly earlyRequestFilter?: (session: Session) => void;

  constructor(lb: LoadBalancer, options: LbProxyOptions) {
    this.#lb = lb;
    this.#hashKey = options.hashKey;
    this.#countInFlight = options.countInFlight;
    this.#peerInit = peerInit(
      options.peer ?? {},
      options.upstreamProtocol ?? 'http1',
      options.maxH2Streams ?? 100,
    );
    const accessLog = options.accessLog;
    this.#accessLog = accessLog;
    if (accessLog !== undefined) this.earlyRequestFilter = (s) => void accessLog.tagRequest(s);
  }

  newCtx(): LbCtx {
    return { backend: undefined, guard: undefined, failed: undefined };
  }

  upstreamPeer(session: Session, ctx: LbCtx): HttpPeer {
    // A retry gives up the previous attempt's count before counting the next.
    ctx.guard?.release();
    ctx.guard = undefined;
    const key = requestKey(session, this.#hashKey);
    const failed = ctx.failed;
    const backend =
      failed === undefined
        ? this.#lb.select(key, MAX_ITERATIONS)
        : this.#lb.selectWith(key, MAX_ITERATIONS, (b, ready) => ready && !failed.includes(b.addr));
    if (backend === undefined) throw PingoraError.httpStatus(502, 'no healthy upstream left');
    ctx.backend = backend;
    if (this.#countInFlight) ctx.guard = this.#lb.acquire(backend);
    let peer = this.#peers.get(backend.addr);
    if (peer === undefined) {
      // Bounded by the backend set: discovery caps it (MAX_BACKENDS).
      peer = new HttpPeer(backend.socketAddr, this.#peerInit);
      this.#peers.set(backend.addr, peer);
    }
    return peer;
  }

  failToConnect(_s: Session, _peer: HttpPeer, ctx: LbCtx, e: PingoraError): PingoraError {
    // Nothing reached the upstream: another one is always safe to try. Only a
    // definite "nobody there" takes it out of rotation (passive health); a timeout
    // may just be this host under load.
    const down = e.type === ErrorType.ConnectRefused || e.type === ErrorType.ConnectNoRoute;
    this.#failed(ctx, down ? e : undefined);
    return e.withRetry(true);
  }

  errorWhileProxy(
    peer: HttpPeer,
    session: Session,
    error: PingoraError,
    ctx: LbCtx,
    clientReused: boolean,
  ): PingoraError {
    const e = defaultErrorWhileProxy(peer, session, error, clientReused);
    const method = session.reqHeader.method;
    // The upstream failed on a fresh connection before anything went downstream: a GET
    // or HEAD may go elsewhere. (A reused one may just have been stale: the default
    // retry covers it. Errors of other sources, such as a client gone, blame no upstream.)
    if (
      error.source === ErrorSource.Upstream &&
      !clientReused &&
      !session.responseStarted &&
      (method === 'GET' || method === 'HEAD')
    ) {
      this.#failed(ctx, undefined);
      e.withRetry(true);
    }
    return e;
  }

  upstreamRequestFilter(session: Session, req: RequestHeader): void {
    addForwardedHeaders(req, session.digest.peerAddr);
  }

  logging(s: Session, e: PingoraError | undefined, ctx: LbCtx): void {
    // Runs once per request, whatever happened (errors, client aborts).
    this.#accessLog?.log(s, e);
    if (ctx.guard !== undefined) {
      ctx.guard.release();
      ctx.guard = undefined;
    }
  }

  /** This request will not use ctx.backend again; `down`: report it to passive health. */
  #failed(ctx: LbCtx, down: PingoraError | undefined): void {
    const backend = ctx.backend;
    if (backend === undefined) return;
    if (ctx.failed === undefined) ctx.failed = [backend.addr];
    else ctx.failed.push(backend.addr);
    if (down !== undefined) this.#lb.reportFailure(backend, down);
  }
}
