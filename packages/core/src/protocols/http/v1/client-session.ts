/**
 * H1ClientSession: the HTTP/1.x client side of one upstream connection
 * (Pingora's protocols::http::v1::client::HttpSession). Writes requests as
 * given, reads responses as strictly as the server side reads requests (a
 * response with ambiguous framing is an error, and its connection is never
 * reused), and tells its pool whether the connection can serve again.
 */
import type { Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { type HeaderList, type RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { IdleGoneReason } from '@pingora-ts/pool';
import type { UpstreamTlsDigest } from '../../../connectors/upstream-tls.ts';
import type { BodySink, TunnelHandoff } from '../body-sink.ts';
import type { HttpClientSession, ResponseHeadSink } from '../client-session.ts';
import { armDeadline } from '../deadline-ticker.ts';
import { BodyReader } from './body-reader.ts';
import { H1Connection, RESOLVED } from './h1-connection.ts';
import {
  DEFAULT_HEAD_LIMITS,
  type HeadLimits,
  HeadMode,
  HeadParser,
  NEED_MORE,
  PARSE_ERROR,
} from './head-parser.ts';
import { requestHeadLength, writeRequestHead } from './head-writer.ts';
import { commonLowerName } from './header-names.ts';
import { BodyKind, HeadFacts } from './message-framing.ts';
import { OutgoingBody } from './outgoing-body.ts';
import {
  hasConnectionToken,
  is100Continue,
  isChunkedFinal,
  upgradeAgreed,
} from './response-framing.ts';

export interface H1ClientOptions {
  /** Limits on response heads. */
  readonly headLimits?: Partial<HeadLimits>;
  /** Wait for response bytes (head, then each body read). Default 60 s. */
  readonly readTimeoutMs?: number;
  /** Longest time a request write may stay blocked. Default 60 s. */
  readonly writeTimeoutMs?: number;
}

const P_IDLE = 0; // no request in flight
const P_SENT = 1; // request head written, response head not read
const P_HEAD = 2; // readResponseHeader pending
const P_BODY = 3; // final response head read
const P_TUNNEL = 4;

export class H1ClientSession extends H1Connection implements HttpClientSession {
  readonly protocol = 'HTTP/1.1' as const;
  onInformational: ((resp: ResponseHeader) => void) | undefined;
  /** Over TLS: what the handshake negotiated (set by the connector); undefined for plaintext. */
  upstreamTls: UpstreamTlsDigest | undefined = undefined;
  responseHeader: ResponseHeader | undefined;
  receivedResponseBytes = false;
  /** Requests written on this connection (more than 1 means it was reused). */
  requestCount = 0;
  /**
   * @internal Set by the connection pool while the session sits idle in it:
   * told of a stray byte, EOF or failure from the session's own socket
   * listeners, so pooling adds and removes no listener per request.
   */
  idleHook: ((reason: IdleGoneReason) => void) | undefined = undefined;

  #phase = P_IDLE;
  readonly #parser: HeadParser;
  readonly #facts = new HeadFacts();
  readonly #out = new OutgoingBody();
  readonly #body: BodyReader;
  #requestMethod = '';
  #requestClose = false;
  /** The request in flight: a 101 must agree to the Upgrade it offered. */
  #request: RequestHeader | undefined = undefined;
  #requestComplete = true;
  #responseKeepalive = false;
  #unexpectedInput = false;
  #pendingReq: RequestHeader | undefined;
  /** Who waits for the response head (readResponseHeader's promise, or the proxy's exchange). */
  #headSink: ResponseHeadSink | null = null;

  constructor(socket: Socket, options: H1ClientOptions = {}) {
    super(
      socket,
      ErrorSource.Upstream,
      options.readTimeoutMs ?? 60_000,
      options.writeTimeoutMs ?? 60_000,
    );
    const limits = { ...DEFAULT_HEAD_LIMITS, ...options.headLimits };
    this.#parser = new HeadParser(HeadMode.Response, limits);
    this.inputHighWater = Math.max(this.inputHighWater, limits.maxHeadBytes + 1024);
    this.#body = new BodyReader(this);
    this.updateFlow();
  }

  get readTimeoutMs(): number {
    return this.bodyTimeoutMs;
  }

  set readTimeoutMs(ms: number) {
    this.bodyTimeoutMs = ms;
  }

  // ---- request ----

  writeRequestHeader(req: RequestHeader): void {
    if (this.#phase === P_BODY && this.reusable()) this.#phase = P_IDLE;
    if (this.#phase !== P_IDLE || !this.#out.done || !this.decoder.done) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'writeRequestHeader while a request is in flight',
      );
    }
    if (this.failure !== undefined) throw this.failure;
    let kind: BodyKind = BodyKind.None;
    if (req.hasHeader('transfer-encoding')) {
      const te = req.getAll('transfer-encoding').join(',');
      if (req.hasHeader('content-length') || !isChunkedFinal(te)) {
        throw PingoraError.explain(
          ErrorType.InvalidHTTPHeader,
          'request Transfer-Encoding must end in chunked, without Content-Length',
        );
      }
      kind = BodyKind.Chunked;
    } else if (req.hasHeader('content-length')) {
      kind = BodyKind.Length;
    }
    this.#out.reset();
    if (!this.#out.start(kind, req)) {
      throw PingoraError.explain(ErrorType.InvalidHTTPHeader, 'invalid Content-Length in request');
    }
    if (kind === BodyKind.Length && this.#out.remaining === 0) kind = BodyKind.None;
    this.requestCount++;
    this.#requestMethod = req.method;
    this.#request = req;
    const connection = req.getHeader('connection');
    this.#requestClose =
      req.version === 'HTTP/1.0'
        ? connection === undefined || !hasConnectionToken(connection, 'keep-alive')
        : connection !== undefined && hasConnectionToken(connection, 'close');
    this.#requestComplete = false;
    this.responseHeader = undefined;
    this.receivedResponseBytes = false;
    this.#unexpectedInput = false;
    this.bodyTrailers = undefined;
    this.#phase = P_SENT;
    this.#pendingReq = req;
    if (kind === BodyKind.None) {
      // The head goes out now, alone: no flush to schedule.
      this.holdHead = true;
      this.queueHead(requestHeadLength(req));
      this.holdHead = false;
      this.#out.finish(this);
      this.#requestComplete = true;
    } else {
      this.queueHead(requestHeadLength(req));
      // With Expect, the peer answers the head before we send the body.
      if (is100Continue(req.getHeader('expect'))) this.writeOut(null, false, false);
    }
    // Bytes may have arrived early (an error response) while idle.
    if (this.input.length > 0) this.onInput();
  }

  writeBody(chunk: Buffer): boolean {
    if (this.#out.done) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'writeBody without a request body in progress',
      );
    }
    return this.#out.write(this, chunk);
  }

  finishRequestBody(trailers?: HeaderList): Promise<void> {
    if (this.#out.done) return RESOLVED;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const complete = this.#out.finish(this, trailers);
    if (!complete) {
      const err = this.error(ErrorType.WriteError, 'request body shorter than its Content-Length');
      this.fail(err);
      return Promise.reject(err);
    }
    this.#requestComplete = true;
    return this.flushed();
  }

  // ---- response ----

  readResponseHeader(): Promise<ResponseHeader> {
    return new Promise((resolve, reject) => {
      this.readResponseHeaderInto({ onResponseHead: resolve, onResponseHeadError: reject });
    });
  }

  /**
   * readResponseHeader with a sink: told once, with the final head or the
   * error; synchronously (before this returns) when the head is already here.
   */
  readResponseHeaderInto(sink: ResponseHeadSink): void {
    if (this.#phase !== P_SENT) {
      sink.onResponseHeadError(
        PingoraError.explain(ErrorType.InternalError, 'readResponseHeader without a request sent'),
      );
      return;
    }
    if (this.failure !== undefined) {
      sink.onResponseHeadError(this.failure);
      return;
    }
    this.#parser.reset();
    this.#phase = P_HEAD;
    this.#headSink = sink;
    this.#parseHead();
    this.updateFlow();
    if (this.#phase === P_HEAD) {
      armDeadline(this, this.bodyTimeoutMs);
      if (this.eof) this.onEof();
    }
  }

  get responseBodyDone(): boolean {
    return this.#phase === P_BODY && this.decoder.done;
  }

  readBodyInto(sink: BodySink): void {
    this.#checkBody('readBodyInto');
    this.attachSink(sink);
  }

  readBodyChunk(): Promise<Buffer | null> {
    this.#checkBody('readBodyChunk');
    return this.#body.nextChunk();
  }

  /** Trailer fields of the response body, once it was read to its end. */
  get responseTrailers(): HeaderList | undefined {
    return this.bodyTrailers;
  }

  reusable(): boolean {
    return (
      this.failure === undefined &&
      !this.detached &&
      !this.eof &&
      !this.socket.destroyed &&
      this.#phase === P_BODY &&
      this.decoder.done &&
      this.decoder.kind !== BodyKind.Close &&
      this.#requestComplete &&
      this.#out.done &&
      this.#responseKeepalive &&
      !this.#requestClose &&
      !this.#unexpectedInput &&
      this.input.length === 0
    );
  }

  upgradeToTunnel(): TunnelHandoff {
    const resp = this.responseHeader;
    const ok =
      resp !== undefined &&
      (resp.status === 101 ||
        (this.#requestMethod === 'CONNECT' && resp.status >= 200 && resp.status < 300));
    if (!ok)
      throw PingoraError.explain(
        ErrorType.InternalError,
        'upgradeToTunnel without a 101 (or CONNECT 2xx) response',
      );
    if (this.failure !== undefined) throw this.failure;
    this.#phase = P_TUNNEL;
    this.detach();
    return { socket: this.socket, head: this.input.take() };
  }

  // ---- internals ----

  protected override writePendingHead(buf: Buffer, o: number): number {
    const req = this.#pendingReq as RequestHeader;
    this.#pendingReq = undefined;
    return writeRequestHead(req, buf, o);
  }

  protected onInput(): void {
    const phase = this.#phase;
    if (phase === P_HEAD) {
      this.receivedResponseBytes = true;
      this.#parseHead();
    } else if (phase === P_BODY) {
      if (this.hasSink) this.pumpBody();
      else if (this.decoder.done) {
        this.#unexpectedInput = true;
        this.idleHook?.('unexpected-data');
      }
    } else if (phase === P_SENT) {
      this.receivedResponseBytes = true;
    } else if (phase === P_IDLE) {
      this.#unexpectedInput = true; // data on an idle connection: it cannot be reused
      this.idleHook?.('unexpected-data');
    }
  }

  protected onEof(): void {
    if (this.#phase === P_HEAD) {
      this.fail(this.#closedError('upstream closed before sending a full response head'));
    } else if (this.hasSink) {
      this.pumpBody();
    } else {
      this.idleHook?.('closed');
    }
  }

  protected onFailure(error: PingoraError): void {
    const sink = this.#headSink;
    this.#headSink = null;
    sink?.onResponseHeadError(error);
    this.idleHook?.(error.type === ErrorType.ConnectionClosed ? 'closed' : 'error');
  }

  onDeadline(): void {
    if (this.#phase === P_HEAD) {
      this.fail(
        this.error(ErrorType.ReadTimedout, `no response head within ${this.bodyTimeoutMs} ms`),
      );
    } else if (this.hasSink) {
      this.fail(
        this.error(ErrorType.ReadTimedout, `no response body bytes for ${this.bodyTimeoutMs} ms`),
      );
    }
  }

  protected onBodyDone(): void {}

  #closedError(context: string): PingoraError {
    const err = this.error(ErrorType.ConnectionClosed, context);
    // Nothing was received: a stale pooled connection is the likely cause, so a retry on a fresh one is safe.
    return this.receivedResponseBytes ? err : err.withRetry('reused-only');
  }

  #parseHead(): void {
    for (;;) {
      const input = this.input;
      if (input.length === 0) return;
      const parser = this.#parser;
      const r = parser.feed(input.buf, input.start, input.end);
      if (r === NEED_MORE) return;
      if (r === PARSE_ERROR) {
        this.fail(
          this.error(ErrorType.InvalidHTTPHeader, `invalid response head: ${parser.errorText}`),
        );
        return;
      }
      input.consumeTo(r);
      const status = parser.status;
      const version = parser.minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
      const resp = ResponseHeader.unchecked(status, parser.reason, version);
      resp.adoptParsed(
        parser.names,
        parser.values,
        parser.text,
        parser.lineStarts,
        commonLowerName,
      );
      if (status < 200 && status !== 101) {
        parser.reset();
        if (status !== 100) {
          const sink = this.#headSink;
          if (sink?.onInformationalHead !== undefined) sink.onInformationalHead(resp);
          else this.onInformational?.(resp);
        }
        continue;
      }
      this.#finalHead(resp, parser.minor);
      return;
    }
  }

  #finalHead(resp: ResponseHeader, minor: number): void {
    const facts = this.#facts;
    facts.scan(this.#parser.names, this.#parser.values);
    if (facts.error !== '') {
      this.fail(
        this.error(ErrorType.InvalidHTTPHeader, `invalid response framing: ${facts.error}`),
      );
      return;
    }
    const status = resp.status;
    const request = this.#request;
    this.#request = undefined;
    if (status === 101) {
      // Forwarding a 101 nobody asked for (or for another protocol) would turn
      // the client's connection into a tunnel it does not expect.
      const requested = request?.getHeader('upgrade');
      if (requested === undefined || !upgradeAgreed(requested, resp.getHeader('upgrade'))) {
        this.fail(
          this.error(
            ErrorType.InvalidHTTPHeader,
            requested === undefined
              ? 'unsolicited 101 Switching Protocols (the request asked for no upgrade)'
              : `101 Switching Protocols to ${resp.getHeader('upgrade') ?? 'no protocol'}, not to the ${requested} asked for`,
          ),
        );
        return;
      }
    }
    const tunnel = status === 101 || (this.#requestMethod === 'CONNECT' && status < 300);
    if (tunnel || this.#requestMethod === 'HEAD' || status === 204 || status === 304) {
      this.decoder.start(BodyKind.None);
    } else if (facts.transferEncoding) {
      // RFC 9112 6.3: a final coding other than chunked means the body runs to the close.
      this.decoder.start(facts.chunked ? BodyKind.Chunked : BodyKind.Close);
    } else if (facts.contentLength >= 0) {
      this.decoder.start(BodyKind.Length, facts.contentLength);
    } else {
      this.decoder.start(BodyKind.Close);
    }
    this.#responseKeepalive =
      !tunnel &&
      (minor === 1 ? !facts.connectionClose : facts.connectionKeepAlive && !facts.connectionClose);
    this.responseHeader = resp;
    this.#phase = P_BODY;
    this.deadline = 0;
    if (this.input.length > 0 && this.decoder.done && !tunnel) this.#unexpectedInput = true;
    const sink = this.#headSink;
    this.#headSink = null;
    sink?.onResponseHead(resp);
  }

  #checkBody(what: string): void {
    if (this.#phase !== P_BODY) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${what} before the response head was read`,
      );
    }
  }
}
