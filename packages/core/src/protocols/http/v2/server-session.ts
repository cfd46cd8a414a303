/**
 * H2ServerSession: one HTTP/2 stream as an HttpServerSession (Pingora's
 * protocols::http::v2::server::HttpSession), on node:http2's core API. The
 * request head is already parsed when the stream arrives; the response goes
 * out with `respond`, 1xx with `additionalHeaders`, trailers through
 * `waitForTrailers`; a failure after the head resets the stream.
 */
import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { isDirectReadView } from '../../../l4/direct-read.ts';
import type { StreamDigest } from '../../../l4/stream.ts';
import type { BodySink, TunnelHandoff } from '../body-sink.ts';
import { httpDate } from '../date-cache.ts';
import {
  armDeadline,
  type DeadlineOwner,
  disarmDeadline,
  releaseDeadline,
} from '../deadline-ticker.ts';
import type { HttpServerSession } from '../server-session.ts';
import { errorResponse } from '../v1/response-framing.ts';
import { ChunkReader } from './chunk-reader.ts';
import { responseToH2, trailersFromH2, trailersToH2 } from './h2-fields.ts';
import type { ResolvedH2ServerOptions } from './server-options.ts';

const RESOLVED: Promise<void> = Promise.resolve();

function noBodyStatus(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

export class H2ServerSession implements HttpServerSession, DeadlineOwner {
  readonly protocol = 'HTTP/2' as const;
  readonly digest: StreamDigest;
  readonly requestCount = 1;
  readonly requestHeader: RequestHeader;
  readonly isUpgradeRequest = false;
  /** The node:http2 stream this session serves. */
  readonly stream: ServerHttp2Stream;
  /** Write-blocked deadline (DeadlineOwner). */
  deadline = 0;
  /** The deadline wheel's slot (owned by the wheel). */
  wheelTick = 0;

  readonly #options: ResolvedH2ServerOptions;
  #served = false;
  #sink: BodySink | undefined;
  #bodyDone: boolean;
  #bodyBytes = 0;
  #requestTrailers: HeaderList | undefined;
  #response: ResponseHeader | undefined;
  /** The response head went out with END_STREAM (HEAD, 204, 304): no body or trailers. */
  #bodyless = false;
  #finished = false;
  /** A final head not yet handed to nghttp2: it waits for the end of the tick (see writeResponseHeader). */
  #pendingHead: OutgoingHttpHeaders | undefined;
  /**
   * The first body chunk written while the head waited: held with it, so a
   * response that ends in the same tick goes out as HEADERS + DATA with
   * END_STREAM, without waiting for trailers (no 'wantTrailers' round trip
   * and no empty trailing HEADERS frame).
   */
  #pendingBody: Buffer | undefined;
  #trailers: HeaderList | undefined;
  #failure: PingoraError | undefined;
  #drainCb: (() => void) | undefined;
  #continueSent = false;
  #reader: ChunkReader | undefined;

  constructor(
    stream: ServerHttp2Stream,
    req: RequestHeader,
    digest: StreamDigest,
    options: ResolvedH2ServerOptions,
  ) {
    this.stream = stream;
    this.requestHeader = req;
    this.digest = digest;
    this.#options = options;
    this.#bodyDone = stream.endAfterHeaders;
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
    stream.on('drain', this.#onDrain);
    stream.on('wantTrailers', this.#onWantTrailers);
  }

  // ---- request ----

  readRequest(): Promise<RequestHeader | null> {
    if (this.#served) return Promise.resolve(null);
    this.#served = true;
    return Promise.resolve(this.requestHeader);
  }

  get requestBodyDone(): boolean {
    return this.#bodyDone;
  }

  get requestBodyBytes(): number {
    return this.#bodyBytes;
  }

  readBodyInto(sink: BodySink): void {
    this.#sink = sink;
    if (this.#failure !== undefined) {
      sink.onError(this.#failure);
      return;
    }
    if (this.#bodyDone) {
      sink.onEnd(this.#requestTrailers);
      return;
    }
    this.#maybeContinue();
    const stream = this.stream;
    stream.on('trailers', this.#onRequestTrailers);
    stream.on('data', this.#onRequestData);
    stream.on('end', this.#onRequestEnd);
  }

  resumeBody(): void {
    if (this.#failure === undefined && !this.#bodyDone) this.stream.resume();
  }

  readBodyChunk(): Promise<Buffer | null> {
    if (this.#reader === undefined) {
      if (this.#sink !== undefined) {
        throw PingoraError.explain(ErrorType.InternalError, 'the body is already being read');
      }
      this.#reader = new ChunkReader(() => this.resumeBody());
      this.readBodyInto(this.#reader);
    }
    return this.#reader.next();
  }

  async drainRequestBody(): Promise<void> {
    while ((await this.readBodyChunk()) !== null) {
      // discard
    }
  }

  readonly #onRequestData = (chunk: Buffer): void => {
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes > this.#options.maxRequestBodyBytes) {
      const error = PingoraError.httpStatus(
        413,
        `request body over ${this.#options.maxRequestBodyBytes} bytes`,
        ErrorSource.Downstream,
      );
      this.#fail(error);
      if (this.#response === undefined) this.writeResponse(errorResponse(413));
      return;
    }
    if (!(this.#sink as BodySink).onData(chunk)) this.stream.pause();
  };

  readonly #onRequestTrailers = (headers: Record<string, string | string[] | undefined>): void => {
    this.#requestTrailers = trailersFromH2(headers);
  };

  readonly #onRequestEnd = (): void => {
    this.#bodyDone = true;
    this.#sink?.onEnd(this.#requestTrailers);
  };

  #maybeContinue(): void {
    const expect = this.requestHeader.getHeader('expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue') this.writeContinue();
  }

  writeContinue(): void {
    if (this.#continueSent || this.#response !== undefined || this.#failure !== undefined) return;
    this.#continueSent = true;
    this.stream.additionalHeaders({ ':status': 100 });
  }

  // ---- response ----

  get responseWritten(): ResponseHeader | undefined {
    return this.#response;
  }

  /** True once the response has been ended (finishResponse would resolve at once). */
  get responseFinished(): boolean {
    return this.#finished;
  }

  /**
   * Writes the head; a final one waits for the end of the current tick, so
   * a response that ends in the same tick goes out as one HEADERS frame with
   * END_STREAM (a gRPC trailers-only response stays trailers-only).
   */
  writeResponseHeader(resp: ResponseHeader): void {
    this.#head(resp, false, false);
  }

  /** Sends `resp`; `whole`: the caller ends the stream itself (no trailers can follow). */
  #head(resp: ResponseHeader, whole: boolean, empty: boolean): void {
    this.#check();
    const status = resp.status;
    if (status >= 100 && status < 200) {
      if (status === 101) {
        throw PingoraError.explain(ErrorType.H2Error, 'no 101 (protocol switch) on HTTP/2');
      }
      if (this.#response !== undefined) return;
      this.stream.additionalHeaders(responseToH2(resp));
      return;
    }
    if (this.#response !== undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'a response head was already written');
    }
    const out = responseToH2(resp);
    // No body, so no length, on a 204 (RFC 9110 8.6): h2 peers reject one.
    if (status === 204) delete out['content-length'];
    if (this.#options.addDateHeader && out.date === undefined) out.date = httpDate();
    this.#response = resp;
    this.#bodyless = this.requestHeader.method === 'HEAD' || noBodyStatus(status) || empty;
    if (whole || this.#bodyless) {
      this.stream.respond(out, { endStream: this.#bodyless, waitForTrailers: false });
      if (this.#bodyless) this.#finished = true;
      return;
    }
    this.#pendingHead = out;
    queueMicrotask(this.#flushHead);
  }

  /**
   * Sends a held head and the body chunk held with it. `endStream`: nothing
   * follows the head; `trailers`: trailers may still follow (else the stream
   * ends with its last DATA frame).
   */
  #sendHead(endStream: boolean, trailers = !endStream): boolean {
    const out = this.#pendingHead as OutgoingHttpHeaders;
    const body = this.#pendingBody;
    this.#pendingHead = undefined;
    this.#pendingBody = undefined;
    this.stream.respond(out, { endStream, waitForTrailers: trailers });
    return body === undefined || this.stream.write(body);
  }

  readonly #flushHead = (): void => {
    if (this.#pendingHead === undefined || this.#failure !== undefined) return;
    if (!this.#sendHead(false)) armDeadline(this, this.#options.writeTimeoutMs);
  };

  writeBody(chunk: Buffer): boolean {
    this.#check();
    if (this.#response === undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'writeBody before the response head');
    }
    if (this.#bodyless || this.#finished) return true;
    if (this.#pendingHead !== undefined) {
      if (this.#pendingBody === undefined) {
        // Held until the end of the tick: a view of the shared read buffer is copied.
        this.#pendingBody = isDirectReadView(chunk) ? Buffer.from(chunk) : chunk;
        return true;
      }
      this.#sendHead(false);
    }
    // A stream keeps written chunks queued: a view of the shared read buffer is copied.
    if (this.stream.write(isDirectReadView(chunk) ? Buffer.from(chunk) : chunk)) return true;
    armDeadline(this, this.#options.writeTimeoutMs);
    return false;
  }

  onDrain(cb: () => void): void {
    if (this.#failure !== undefined || !this.stream.writableNeedDrain) {
      cb();
      return;
    }
    const prev = this.#drainCb;
    this.#drainCb =
      prev === undefined
        ? cb
        : () => {
            prev();
            cb();
          };
  }

  finishResponse(trailers?: HeaderList): Promise<void> {
    this.endResponse(trailers);
    if (!this.stream.writableNeedDrain) return RESOLVED;
    return new Promise((resolve) => this.onDrain(resolve));
  }

  endResponse(trailers?: HeaderList): void {
    this.#check();
    if (this.#response === undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'endResponse before the response head');
    }
    if (this.#finished) return;
    this.#finished = true;
    this.#trailers = trailers;
    if (this.#pendingHead !== undefined) {
      const empty = trailers === undefined || trailers.headerCount === 0;
      if (empty && this.#pendingBody === undefined) {
        this.#sendHead(true);
        this.#afterFinish();
        return;
      }
      const body = empty ? this.#pendingBody : undefined;
      if (body !== undefined) this.#pendingBody = undefined;
      this.#sendHead(false, !empty);
      this.stream.end(body);
      this.#afterFinish();
      return;
    }
    this.stream.end();
    this.#afterFinish();
  }

  writeResponse(resp: ResponseHeader, body?: Buffer): void {
    const empty = body === undefined || body.length === 0;
    this.#head(resp, true, empty);
    if (this.#bodyless) {
      this.#afterFinish();
      return;
    }
    this.#finished = true;
    this.stream.end(body);
    this.#afterFinish();
  }

  respondError(status: number): Promise<void> {
    if (this.#response !== undefined || this.#failure !== undefined) {
      this.destroy();
      return RESOLVED;
    }
    this.writeResponse(errorResponse(status));
    return RESOLVED;
  }

  readonly #onWantTrailers = (): void => {
    this.stream.sendTrailers(trailersToH2(this.#trailers));
  };

  /**
   * The response is out: a request body still arriving is not waited for
   * (RST_STREAM NO_ERROR once our side is flushed, RFC 9113 8.1), so a
   * client whose upload nobody reads is not left stalled on flow control.
   */
  #afterFinish(): void {
    if (this.#bodyDone || this.stream.closed) return;
    this.stream.once('finish', this.#closeAfterFinish);
  }

  readonly #closeAfterFinish = (): void => {
    if (!this.#bodyDone && !this.stream.closed) this.stream.close(constants.NGHTTP2_NO_ERROR);
  };

  // ---- connection-level (no-ops on one stream) ----

  /** Keep-alive is the connection's business on HTTP/2: true while the stream is healthy. */
  get keepalive(): boolean {
    return this.#failure === undefined;
  }

  setKeepalive(_idleTimeoutMs: number | null): void {}

  upgradeToTunnel(): TunnelHandoff {
    throw PingoraError.explain(ErrorType.H2Error, 'protocol upgrades are not available on HTTP/2');
  }

  requestSummary(): string {
    const req = this.requestHeader;
    return `${req.method} ${req.target}, Host: ${req.getHeader('host') ?? ''}`;
  }

  get closed(): boolean {
    return this.#failure !== undefined || this.stream.destroyed;
  }

  /** Resets the stream (RST_STREAM INTERNAL_ERROR) unless it completed; the connection lives on. */
  destroy(): void {
    this.#pendingHead = undefined;
    this.#pendingBody = undefined;
    if (!this.stream.closed && !this.stream.destroyed) {
      this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
    this.#fail(PingoraError.create(ErrorType.H2Error, ErrorSource.Downstream, 'stream reset'));
  }

  // ---- events ----

  onDeadline(): void {
    this.#fail(
      PingoraError.create(
        ErrorType.WriteTimedout,
        ErrorSource.Downstream,
        `write blocked for over ${this.#options.writeTimeoutMs} ms`,
      ),
    );
    if (!this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  readonly #onDrain = (): void => {
    disarmDeadline(this);
    const cb = this.#drainCb;
    this.#drainCb = undefined;
    cb?.();
  };

  readonly #onError = (err: Error): void => {
    this.#fail(toPingoraError(err, { source: ErrorSource.Downstream }));
  };

  readonly #onClose = (): void => {
    releaseDeadline(this);
    // A stream that ended both ways closes cleanly; anything else was reset or lost.
    if (!(this.#finished && this.#bodyDone && this.stream.rstCode === constants.NGHTTP2_NO_ERROR)) {
      const code = this.stream.rstCode;
      this.#fail(
        PingoraError.create(
          ErrorType.ConnectionClosed,
          ErrorSource.Downstream,
          `stream closed by the client (code ${code ?? 'none'})`,
        ),
      );
    }
    this.#onDrain();
  };

  #fail(error: PingoraError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    // After the body ended too: a reset stream must stop the exchange (and cancel the upstream).
    if (!this.#bodyDone || !this.#finished) this.#sink?.onError(error);
    const cb = this.#drainCb;
    this.#drainCb = undefined;
    cb?.();
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
