/**
 * H1ServerSession: the HTTP/1.x server side of one downstream connection
 * (Pingora's protocols::http::v1::server::HttpSession), reused across
 * keep-alive and pipelined requests. Reads strict request heads and bodies,
 * writes responses with the framing and persistence headers they need, and
 * turns into a raw tunnel after a 101. Implements HttpServerSession.
 */
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { Stream, StreamDigest } from '../../../l4/stream.ts';
import type { BodySink, TunnelHandoff } from '../body-sink.ts';
import { httpDate } from '../date-cache.ts';
import { armDeadline } from '../deadline-ticker.ts';
import type { HttpServerSession } from '../server-session.ts';
import { BodyReader } from './body-reader.ts';
import { H1Connection, RESOLVED } from './h1-connection.ts';
import { responseHeadLength, writeResponseHead } from './head-writer.ts';
import { BodyKind } from './message-framing.ts';
import { OutgoingBody } from './outgoing-body.ts';
import { REFUSED, RequestHeadReader } from './request-head-reader.ts';
import {
  addPersistenceHeader,
  errorResponse,
  hasCloseToken,
  isTunnel,
  refusalResponse,
  responseFraming,
} from './response-framing.ts';
import {
  type H1ServerOptions,
  type ResolvedH1ServerOptions,
  resolveH1ServerOptions,
} from './server-options.ts';

const P_IDLE = 0; // between requests
const P_HEAD = 1; // readRequest pending
const P_SERVING = 2; // a request head was returned
const P_TUNNEL = 3;
const P_DONE = 4; // closing or closed: nothing more is served

/** How long a connection we ended waits for the client to close before it is destroyed. */
const LINGER_MS = 5_000;

export { errorResponse } from './response-framing.ts';

/** Receives the next request head, null when the connection ends, or the error it was refused with. */
export type RequestHeadCallback = (error: PingoraError | null, req: RequestHeader | null) => void;

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

export class H1ServerSession extends H1Connection implements HttpServerSession {
  readonly protocol = 'HTTP/1.1' as const;
  readonly digest: StreamDigest;
  readonly options: ResolvedH1ServerOptions;
  requestCount = 0;
  requestHeader: RequestHeader | undefined;
  isUpgradeRequest = false;
  responseWritten: ResponseHeader | undefined;

  #phase = P_IDLE;
  readonly #head: RequestHeadReader;
  #headCb: RequestHeadCallback | null = null;
  #waitingIdle = false;
  #clientKeepalive = false;
  #serverKeepalive = true;
  #idleTimeoutMs: number;
  #expectContinue = false;
  #continueSent = false;
  #bodyBroken = false;
  readonly #body: BodyReader;
  readonly #out = new OutgoingBody();

  constructor(stream: Stream, options?: H1ServerOptions | ResolvedH1ServerOptions) {
    const opts = isResolved(options) ? options : resolveH1ServerOptions(options);
    super(stream.socket, ErrorSource.Downstream, opts.bodyTimeoutMs, opts.writeTimeoutMs);
    this.digest = stream.digest;
    this.options = opts;
    this.#idleTimeoutMs = opts.keepaliveTimeoutMs;
    this.#head = new RequestHeadReader(opts.headLimits, opts.maxRequestBodyBytes);
    this.inputHighWater = Math.max(this.inputHighWater, opts.headLimits.maxHeadBytes + 1024);
    this.#body = new BodyReader(this);
  }

  // ---- request head ----

  readRequest(): Promise<RequestHeader | null> {
    return new Promise((resolve, reject) => {
      this.nextRequest((error, req) => (error === null ? resolve(req) : reject(error)));
    });
  }

  /**
   * readRequest with a callback instead of a promise (the request loop's
   * path: no promise or microtask per request). `cb` is called once, never
   * before nextRequest returns: with the next request head, with null when
   * the connection ends, or with the error it was refused with.
   */
  nextRequest(cb: RequestHeadCallback): void {
    if (this.#phase === P_SERVING) {
      if (!this.#out.done) {
        const error = PingoraError.explain(
          ErrorType.InternalError,
          'readRequest before the response was finished',
        );
        queueMicrotask(() => cb(error, null));
        return;
      }
      this.#phase = P_IDLE;
    }
    if (this.#phase !== P_IDLE || this.failure !== undefined) {
      queueMicrotask(() => cb(null, null));
      return;
    }
    if (!this.decoder.done) {
      // The last request body was not read: discard a little to keep the connection.
      this.#body.discard(this.options.maxDrainBytes).then(
        (ok) => {
          if (ok) this.nextRequest(cb);
          else cb(null, this.#closeQuietly());
        },
        (err: unknown) => cb(toPingoraError(err), null),
      );
      return;
    }
    if (this.socket.writableNeedDrain) {
      // Pipelined requests while the client does not read responses: wait before reading more.
      this.flushed().then(
        () => this.nextRequest(cb),
        () => cb(null, null),
      );
      return;
    }
    this.#resetRequest();
    this.#phase = P_HEAD;
    this.#headCb = cb;
    // Bytes already here (pipelining) or the end of input would call back
    // now: do it on a microtask, so a loop over pipelined requests cannot recurse.
    if (this.input.length > 0 || this.eof) queueMicrotask(this.#awaitHead);
    else this.#awaitHead();
  }

  readonly #awaitHead = (): void => {
    if (this.#phase !== P_HEAD || this.#headCb === null) return;
    this.#parseHead();
    this.updateFlow();
    if (this.#phase === P_HEAD) {
      this.#waitingIdle = this.requestCount > 0 && this.input.length === 0;
      armDeadline(this, this.#waitingIdle ? this.#idleTimeoutMs : this.options.headerTimeoutMs);
      if (this.eof) this.onEof();
    }
  };

  // ---- request body ----

  get requestBodyDone(): boolean {
    return this.decoder.done;
  }

  get requestBodyBytes(): number {
    return this.decoder.received;
  }

  readBodyInto(sink: BodySink): void {
    this.#checkServing('readBodyInto');
    if (this.#expectContinue && !this.decoder.done) this.writeContinue();
    this.attachSink(sink);
  }

  readBodyChunk(): Promise<Buffer | null> {
    this.#checkServing('readBodyChunk');
    if (this.#expectContinue && !this.decoder.done) this.writeContinue();
    return this.#body.nextChunk();
  }

  drainRequestBody(): Promise<void> {
    this.#checkServing('drainRequestBody');
    return this.#body.discard(Number.POSITIVE_INFINITY).then(() => undefined);
  }

  writeContinue(): void {
    if (this.#continueSent || this.responseWritten !== undefined || this.#phase !== P_SERVING)
      return;
    if (this.requestHeader?.version !== 'HTTP/1.1') return; // 1xx cannot go to HTTP/1.0 clients
    this.#continueSent = true;
    this.send(CONTINUE);
  }

  // ---- response ----

  writeResponseHeader(resp: ResponseHeader): void {
    this.#checkServing('writeResponseHeader');
    const req = this.requestHeader as RequestHeader;
    const status = resp.status;
    if (status < 200 && status !== 101) {
      // Informational: HTTP/1.0 clients cannot receive it (RFC 9110 15.2).
      if (req.version === 'HTTP/1.1') {
        if (status === 100) this.#continueSent = true;
        this.#sendHead(resp);
      }
      return;
    }
    if (this.responseWritten !== undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'response header already written');
    }
    this.responseWritten = resp;
    const connection = resp.getHeader('connection');
    if (connection !== undefined && hasCloseToken(connection)) this.#serverKeepalive = false;
    const tunnel = isTunnel(req.method, status);
    const kind = responseFraming(req, resp, tunnel);
    if (kind === BodyKind.Close) this.#serverKeepalive = false;
    if (!this.#out.start(kind, resp)) {
      this.#serverKeepalive = false;
      throw PingoraError.explain(ErrorType.InvalidHTTPHeader, 'invalid Content-Length in response');
    }
    if (this.options.addDateHeader && !resp.hasHeader('date')) {
      resp.appendUnchecked('Date', httpDate(), 'date');
    }
    if (!tunnel) addPersistenceHeader(req, resp, this.keepalive, connection);
    this.pendingResp = resp;
    this.queueHead(responseHeadLength(resp));
    if (kind === BodyKind.None) this.writeOut(null, false, false);
  }

  writeBody(chunk: Buffer): boolean {
    if (this.responseWritten === undefined || this.#out.done) {
      throw PingoraError.explain(ErrorType.InternalError, 'writeBody outside of a response body');
    }
    return this.#out.write(this, chunk);
  }

  finishResponse(trailers?: HeaderList): Promise<void> {
    if (this.responseWritten === undefined) {
      return Promise.reject(
        PingoraError.explain(ErrorType.InternalError, 'finishResponse before writeResponseHeader'),
      );
    }
    if (this.#out.done) return RESOLVED;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.#endMessage(trailers) ? this.flushed() : RESOLVED;
  }

  writeResponse(resp: ResponseHeader, body?: Buffer): void {
    this.holdHead = true;
    try {
      this.writeResponseHeader(resp);
    } finally {
      this.holdHead = false;
    }
    if (body !== undefined && body.length > 0) this.writeBody(body);
    this.endResponse();
  }

  endResponse(trailers?: HeaderList): void {
    if (this.responseWritten === undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'endResponse before writeResponseHeader');
    }
    if (this.#out.done) return;
    if (this.failure !== undefined) throw this.failure;
    this.#endMessage(trailers);
  }

  /** Ends the response body; true when the connection stays open (worth waiting for the flush). */
  #endMessage(trailers?: HeaderList): boolean {
    // Trailers only to a client that said it takes them (TE: trailers, RFC 9110 10.1.4).
    const complete = this.#out.finish(
      this,
      trailers !== undefined && this.#clientAcceptsTrailers() ? trailers : undefined,
    );
    const status = (this.responseWritten as ResponseHeader).status;
    if (isTunnel(this.requestHeader?.method ?? '', status)) {
      return true; // upgradeToTunnel() takes the connection from here
    }
    if (!complete || !this.keepalive) {
      this.#closeQuietly();
      return false;
    }
    return true;
  }

  respondError(status: number): Promise<void> {
    if (this.responseWritten !== undefined || this.#phase !== P_SERVING) {
      this.fail(this.error(ErrorType.HTTPStatus, `error ${status} after the response started`));
      return RESOLVED;
    }
    const resp = errorResponse(status);
    this.writeResponseHeader(resp);
    return this.finishResponse();
  }

  /** True when the request's TE field lists `trailers`. */
  #clientAcceptsTrailers(): boolean {
    const te = this.requestHeader?.getAll('te');
    if (te === undefined) return false;
    for (const line of te) if (/(^|,)[ \t]*trailers[ \t]*(;|,|$)/i.test(line)) return true;
    return false;
  }

  // ---- connection ----

  /** True once the response has been finished (finishResponse would resolve at once). */
  get responseFinished(): boolean {
    return this.#out.done;
  }

  get keepalive(): boolean {
    return (
      this.#clientKeepalive &&
      this.#serverKeepalive &&
      !this.#bodyBroken &&
      this.failure === undefined
    );
  }

  setKeepalive(idleTimeoutMs: number | null): void {
    if (idleTimeoutMs === null) {
      this.#serverKeepalive = false;
      return;
    }
    this.#serverKeepalive = true;
    this.#idleTimeoutMs = idleTimeoutMs > 0 ? idleTimeoutMs : this.options.keepaliveTimeoutMs;
  }

  upgradeToTunnel(): TunnelHandoff {
    const resp = this.responseWritten;
    if (resp === undefined || !isTunnel(this.requestHeader?.method ?? '', resp.status)) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'upgradeToTunnel without a 101 (or CONNECT 2xx) response',
      );
    }
    if (this.failure !== undefined) throw this.failure;
    this.#phase = P_TUNNEL;
    this.detach();
    return { socket: this.socket, head: this.input.take() };
  }

  requestSummary(): string {
    const req = this.requestHeader;
    if (req === undefined) return '(no request)';
    return `${req.method} ${req.target}, Host: ${req.getHeader('host') ?? ''}`;
  }

  /**
   * Graceful shutdown: closes the connection now if it is waiting for a
   * request that has not started to arrive (readRequest resolves null);
   * otherwise the request in flight is served and not kept alive.
   */
  closeIfIdle(): void {
    this.#serverKeepalive = false;
    if (this.#phase === P_HEAD && this.#waitingIdle) this.#closeQuietly();
    else if (this.#phase === P_IDLE) this.#closeQuietly();
  }

  override destroy(): void {
    this.#phase = P_DONE;
    super.destroy();
  }

  // ---- internals ----

  /**
   * A response whose end the client takes from the connection closing (an
   * HTTP/1.0 client, or a body without a length the client can decode) must
   * never end with a FIN when it failed half-way: it would look complete.
   */
  protected override resetOnFailure(): boolean {
    if (this.responseWritten === undefined || this.#out.done) return false;
    // HTTP/1.0 clients are reset whatever the framing: many take the close as the end anyway.
    return this.#out.kind === BodyKind.Close || this.requestHeader?.version === 'HTTP/1.0';
  }

  /** @internal the response head waiting to be written with the first body bytes. */
  pendingResp: ResponseHeader | undefined;

  protected override writePendingHead(buf: Buffer, o: number): number {
    const resp = this.pendingResp as ResponseHeader;
    this.pendingResp = undefined;
    return writeResponseHead(resp, buf, o);
  }

  protected onInput(): void {
    const phase = this.#phase;
    if (phase === P_HEAD) {
      if (this.#waitingIdle) {
        this.#waitingIdle = false;
        armDeadline(this, this.options.headerTimeoutMs);
      }
      this.#parseHead();
    } else if (phase === P_SERVING || phase === P_IDLE) {
      if (this.hasSink) this.pumpBody();
    } else if (phase === P_DONE) {
      this.input.clear(); // read and drop, so the client is not reset while it reads our answer
    }
  }

  protected onEof(): void {
    if (this.#phase === P_HEAD) {
      if (this.#head.started || this.input.length > 0) {
        this.#rejectHead(
          this.error(ErrorType.ConnectionClosed, 'client closed in the middle of a request head'),
        );
        this.destroy();
      } else {
        this.#closeQuietly();
      }
    } else if (this.hasSink) {
      this.pumpBody();
    }
  }

  protected onFailure(error: PingoraError): void {
    if (this.#phase === P_HEAD) this.#rejectHead(error);
    this.#phase = P_DONE;
  }

  onDeadline(): void {
    const phase = this.#phase;
    if (phase === P_HEAD) {
      if (this.#waitingIdle) this.#closeQuietly();
      else this.#refuse(408, 'request head not received in time', ErrorType.ReadTimedout);
    } else if (phase === P_DONE) {
      this.socket.destroy();
    } else if (this.hasSink) {
      this.failBody(
        this.error(ErrorType.ReadTimedout, `no request body bytes for ${this.bodyTimeoutMs} ms`),
      );
    }
  }

  protected onBodyDone(): void {}

  /** Trailer fields of the request body, once it was read to its end. */
  get requestTrailers(): HeaderList | undefined {
    return this.bodyTrailers;
  }

  protected override checkBodyBytes(received: number): boolean {
    if (received <= this.options.maxRequestBodyBytes) return true;
    this.failBody(PingoraError.httpStatus(413, 'request body too large', ErrorSource.Downstream));
    return false;
  }

  /** A bad body leaves the connection usable for one answer (400, 408, 413), then it closes. */
  protected override failBody(error: PingoraError): void {
    if (error.type === ErrorType.ConnectionClosed) {
      super.failBody(error);
      return;
    }
    this.#bodyBroken = true;
    this.decoder.done = true;
    this.#phase = this.#phase === P_IDLE ? P_DONE : this.#phase;
    this.#endSinkWithError(error);
  }

  #parseHead(): void {
    const head = this.#head;
    const req = head.read(this.input);
    if (req === null) return;
    if (req === REFUSED) {
      this.#refuse(head.refusalStatus, head.refusalText);
      return;
    }
    this.requestHeader = req;
    this.requestCount++;
    this.#clientKeepalive = head.keepalive;
    this.isUpgradeRequest = head.upgrade;
    this.#expectContinue = head.expectContinue;
    this.decoder.start(head.bodyKind, head.contentLength);
    this.#phase = P_SERVING;
    this.deadline = 0;
    const cb = this.#headCb;
    this.#headCb = null;
    cb?.(null, req);
  }

  #resetRequest(): void {
    this.#head.reset();
    this.requestHeader = undefined;
    this.responseWritten = undefined;
    this.bodyTrailers = undefined;
    this.pendingResp = undefined;
    this.isUpgradeRequest = false;
    this.#expectContinue = false;
    this.#continueSent = false;
    this.#out.reset();
  }

  /** Answers a bad request head with `status`, closes, and rejects readRequest. */
  #refuse(status: number, why: string, type: ErrorType = ErrorType.HTTPStatus): void {
    const resp = refusalResponse(status, this.options.addDateHeader);
    this.#sendHead(resp);
    const context = `${status} ${resp.reason}: ${why}`;
    const error =
      type === ErrorType.HTTPStatus
        ? PingoraError.httpStatus(status, context, ErrorSource.Downstream)
        : this.error(type, context);
    this.#rejectHead(error);
    this.#closeQuietly();
  }

  #sendHead(resp: ResponseHeader): void {
    const buf = Buffer.allocUnsafe(responseHeadLength(resp));
    writeResponseHead(resp, buf, 0);
    if (this.failure === undefined) this.send(buf);
  }

  #rejectHead(error: PingoraError): void {
    const cb = this.#headCb;
    this.#headCb = null;
    cb?.(error, null);
  }

  /** Ends the connection after what was written, waits LINGER_MS for the client to close, resolves readRequest with null. */
  #closeQuietly(): null {
    const cb = this.#headCb;
    this.#headCb = null;
    if (this.#phase !== P_DONE && this.failure === undefined) {
      this.#phase = P_DONE;
      this.input.clear();
      this.socket.end();
      armDeadline(this, LINGER_MS);
    }
    this.#phase = P_DONE;
    cb?.(null, null);
    return null;
  }

  #endSinkWithError(error: PingoraError): void {
    if (!this.hasSink) return;
    const sink = this.currentSink() as BodySink;
    this.hasSink = false;
    sink.onError(error);
  }

  #checkServing(what: string): void {
    if (this.#phase !== P_SERVING) {
      // The connection failed while the request was served (the client went
      // away before the response head came): the caller meets that failure.
      if (this.failure !== undefined) throw this.failure;
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${what} while no request is being served`,
      );
    }
  }
}

function isResolved(
  o: H1ServerOptions | ResolvedH1ServerOptions | undefined,
): o is ResolvedH1ServerOptions {
  return (
    o !== undefined &&
    Object.isFrozen(o) &&
    typeof o.headerTimeoutMs === 'number' &&
    o.headLimits !== undefined
  );
}
