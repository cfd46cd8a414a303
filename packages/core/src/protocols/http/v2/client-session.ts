/**
 * H2ClientSession: one request on a multiplexed upstream HTTP/2 connection
 * as an HttpClientSession (Pingora's protocols::http::v2::client), on
 * node:http2's core API. Failures carry Pingora's retry classes: a stream
 * the peer refused (REFUSED_STREAM, or above a GOAWAY's last stream) is
 * retried, HTTP_1_1_REQUIRED is an H2Downgrade, anything else is final.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { isDirectReadView } from '../../../l4/direct-read.ts';
import type { BodySink, TunnelHandoff } from '../body-sink.ts';
import type { HttpClientSession } from '../client-session.ts';
import { armDeadline, type DeadlineOwner, disarmDeadline } from '../deadline-ticker.ts';
import { ChunkReader } from './chunk-reader.ts';
import { requestToH2, responseFromH2, trailersFromH2, trailersToH2 } from './h2-fields.ts';

const RESOLVED: Promise<void> = Promise.resolve();

/** The connection a stream runs on, as the session needs it. */
export interface H2StreamHost {
  readonly session: ClientHttp2Session;
  readonly scheme: 'http' | 'https';
  /** The peer accepts only h2: an HTTP_1_1_REQUIRED cannot be retried on HTTP/1. */
  readonly requiresH2: boolean;
  /** The stream ended (either way); its slot is free again. */
  streamClosed(session: H2ClientSession): void;
  /** The peer said HTTP_1_1_REQUIRED: the connector remembers it. */
  downgradeRequired(): void;
  /** A stream timed out: the connection takes no new streams (Pingora marks it shutting down). */
  retire(): void;
}

/** True when a request head announces a body. */
function hasRequestBody(req: RequestHeader): boolean {
  if (req.hasHeader('transfer-encoding')) return true;
  const cl = req.getHeader('content-length');
  return cl !== undefined && cl !== '0';
}

export class H2ClientSession implements HttpClientSession, DeadlineOwner {
  readonly protocol = 'HTTP/2' as const;
  readTimeoutMs: number;
  writeTimeoutMs: number;
  onInformational: ((resp: ResponseHeader) => void) | undefined;
  /** Read or write deadline (DeadlineOwner). */
  deadline = 0;
  /** The deadline wheel's slot (owned by the wheel). */
  wheelTick = 0;

  readonly #host: H2StreamHost;
  #stream: ClientHttp2Stream | undefined;
  #method = '';
  #response: ResponseHeader | undefined;
  #headWaiter: { resolve(r: ResponseHeader): void; reject(e: PingoraError): void } | undefined;
  #sink: BodySink | undefined;
  #responseDone = false;
  #requestDone = false;
  #gotBytes = false;
  #trailers: HeaderList | undefined;
  #requestTrailers: HeaderList | undefined;
  #failure: PingoraError | undefined;
  #drainCb: (() => void) | undefined;
  #writeBlocked = false;
  #released = false;
  /** Request body bytes handed to the stream: after any, nothing is retried. */
  #bodySent = 0;
  #reader: ChunkReader | undefined;

  constructor(host: H2StreamHost, readTimeoutMs: number, writeTimeoutMs: number) {
    this.#host = host;
    this.readTimeoutMs = readTimeoutMs;
    this.writeTimeoutMs = writeTimeoutMs;
  }

  /** The node:http2 stream, once the request head was sent. */
  get stream(): ClientHttp2Stream | undefined {
    return this.#stream;
  }

  writeRequestHeader(req: RequestHeader): void {
    if (this.#stream !== undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'one request per HTTP/2 stream');
    }
    const body = hasRequestBody(req);
    const headers = requestToH2(req, this.#host.scheme);
    this.#method = req.method;
    let stream: ClientHttp2Stream;
    try {
      stream = this.#host.session.request(headers, { endStream: !body, waitForTrailers: body });
    } catch (err) {
      // The connection is closing (GOAWAY) or destroyed: nothing was sent.
      throw toPingoraError(err, { source: ErrorSource.Upstream }).withRetry(true);
    }
    this.#stream = stream;
    this.#requestDone = !body;
    stream.on('response', this.#onResponse);
    stream.on('headers', this.#onInformational);
    stream.on('trailers', this.#onTrailers);
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
    stream.on('drain', this.#onDrain);
    if (body) stream.on('wantTrailers', this.#onWantTrailers);
    armDeadline(this, this.readTimeoutMs);
  }

  writeBody(chunk: Buffer): boolean {
    const stream = this.#active();
    this.#bodySent += chunk.length;
    // A stream keeps written chunks queued: a view of the shared read buffer is copied.
    if (stream.write(isDirectReadView(chunk) ? Buffer.from(chunk) : chunk)) return true;
    this.#writeBlocked = true;
    armDeadline(this, this.writeTimeoutMs);
    return false;
  }

  onDrain(cb: () => void): void {
    if (this.#failure !== undefined || this.#stream?.writableNeedDrain !== true) {
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

  finishRequestBody(trailers?: HeaderList): Promise<void> {
    const stream = this.#active();
    if (this.#requestDone) return RESOLVED;
    this.#requestDone = true;
    this.#requestTrailers = trailers;
    stream.end();
    return RESOLVED;
  }

  readResponseHeader(): Promise<ResponseHeader> {
    if (this.#response !== undefined) return Promise.resolve(this.#response);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#headWaiter = { resolve, reject };
    });
  }

  get responseHeader(): ResponseHeader | undefined {
    return this.#response;
  }

  readBodyInto(sink: BodySink): void {
    this.#sink = sink;
    if (this.#failure !== undefined) {
      sink.onError(this.#failure);
      return;
    }
    if (this.#responseDone) {
      sink.onEnd(this.#trailers);
      return;
    }
    const stream = this.#active();
    armDeadline(this, this.readTimeoutMs);
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
  }

  resumeBody(): void {
    if (this.#failure === undefined && !this.#responseDone) this.#stream?.resume();
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

  get responseBodyDone(): boolean {
    return this.#responseDone;
  }

  get receivedResponseBytes(): boolean {
    return this.#gotBytes;
  }

  /** True when the stream completed cleanly both ways: its connection may carry another. */
  reusable(): boolean {
    return (
      this.#failure === undefined &&
      this.#requestDone &&
      this.#responseDone &&
      !this.#host.session.closed &&
      !this.#host.session.destroyed
    );
  }

  upgradeToTunnel(): TunnelHandoff {
    throw PingoraError.explain(ErrorType.H2Error, 'protocol upgrades are not available on HTTP/2');
  }

  get closed(): boolean {
    return this.#failure !== undefined || this.#stream?.destroyed === true;
  }

  /** Cancels the stream (RST_STREAM CANCEL) if it is still open; the connection lives on. */
  destroy(): void {
    const stream = this.#stream;
    if (stream !== undefined && !stream.closed && !stream.destroyed) {
      stream.close(constants.NGHTTP2_CANCEL);
    }
    this.#fail(PingoraError.create(ErrorType.H2Error, ErrorSource.Upstream, 'stream cancelled'));
    this.#release();
  }

  // ---- events ----

  onDeadline(): void {
    const write = this.#writeBlocked;
    this.#fail(
      PingoraError.create(
        write ? ErrorType.WriteTimedout : ErrorType.ReadTimedout,
        ErrorSource.Upstream,
        write
          ? `write blocked for over ${this.writeTimeoutMs} ms`
          : `no response bytes for ${this.readTimeoutMs} ms`,
      ),
    );
    const stream = this.#stream;
    if (stream !== undefined && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    // A peer too slow for one stream may be stuck for all: open no new ones on it.
    this.#host.retire();
  }

  readonly #onInformational = (headers: IncomingHttpHeaders): void => {
    this.#gotBytes = true;
    armDeadline(this, this.readTimeoutMs);
    const status = Number(headers[':status']);
    if (status === 100 || this.onInformational === undefined) return;
    try {
      this.onInformational(responseFromH2(headers, ErrorSource.Upstream));
    } catch {
      // A malformed 1xx is not worth failing the exchange for.
    }
  };

  readonly #onResponse = (headers: IncomingHttpHeaders, flags: number): void => {
    this.#gotBytes = true;
    let resp: ResponseHeader;
    try {
      resp = responseFromH2(headers, ErrorSource.Upstream);
    } catch (err) {
      this.#fail(toPingoraError(err, { source: ErrorSource.Upstream }));
      this.#stream?.close(constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    const stream = this.#stream as ClientHttp2Stream;
    // END_STREAM on HEADERS (a trailers-only response too), or no body by method/status.
    if (
      (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0 ||
      this.#method === 'HEAD' ||
      resp.status === 204 ||
      resp.status === 304
    ) {
      this.#responseDone = true;
      disarmDeadline(this);
      // Reading to the end lets the stream close (and its slot free up).
      stream.resume();
    } else if (!resp.hasHeader('content-length') && !resp.hasHeader('transfer-encoding')) {
      // Its HTTP/1 equivalent, so an h1 client gets chunked framing (and trailers).
      resp.appendHeader('transfer-encoding', 'chunked');
    }
    this.#response = resp;
    const waiter = this.#headWaiter;
    this.#headWaiter = undefined;
    waiter?.resolve(resp);
  };

  readonly #onData = (chunk: Buffer): void => {
    armDeadline(this, this.readTimeoutMs);
    if (!(this.#sink as BodySink).onData(chunk)) {
      disarmDeadline(this);
      this.#stream?.pause();
    }
  };

  readonly #onTrailers = (headers: IncomingHttpHeaders): void => {
    this.#trailers = trailersFromH2(headers);
  };

  readonly #onEnd = (): void => {
    disarmDeadline(this);
    if (this.#responseDone) return;
    this.#responseDone = true;
    this.#sink?.onEnd(this.#trailers);
  };

  readonly #onWantTrailers = (): void => {
    this.#stream?.sendTrailers(trailersToH2(this.#requestTrailers));
  };

  readonly #onDrain = (): void => {
    this.#writeBlocked = false;
    if (this.#response === undefined || this.#sink !== undefined) {
      armDeadline(this, this.readTimeoutMs);
    } else disarmDeadline(this);
    const cb = this.#drainCb;
    this.#drainCb = undefined;
    cb?.();
  };

  readonly #onError = (err: Error): void => {
    this.#fail(this.#classify(toPingoraError(err, { source: ErrorSource.Upstream })));
  };

  readonly #onClose = (): void => {
    disarmDeadline(this);
    const stream = this.#stream as ClientHttp2Stream;
    const code = stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
    if (!(this.#responseDone && code === constants.NGHTTP2_NO_ERROR)) {
      this.#fail(
        this.#classify(
          PingoraError.create(
            ErrorType.H2Error,
            ErrorSource.Upstream,
            `upstream stream closed (code ${code})`,
          ),
        ),
      );
    }
    const cb = this.#drainCb;
    this.#drainCb = undefined;
    cb?.();
    this.#release();
  };

  /** Pingora's retry classes, from the stream's reset code. */
  #classify(error: PingoraError): PingoraError {
    const code = this.#stream?.rstCode;
    // Once request body bytes went out (a gRPC stream), nothing is replayed.
    const fresh = !this.#gotBytes && this.#bodySent === 0;
    if (code === constants.NGHTTP2_REFUSED_STREAM && fresh) {
      return PingoraError.because(ErrorType.H2Error, 'upstream refused the stream', error)
        .asUpstream()
        .withRetry(true);
    }
    if (code === constants.NGHTTP2_HTTP_1_1_REQUIRED) {
      this.#host.downgradeRequired();
      return PingoraError.because(ErrorType.H2Downgrade, 'upstream requires HTTP/1.1', error)
        .asUpstream()
        .withRetry(fresh && !this.#host.requiresH2);
    }
    return error;
  }

  #fail(error: PingoraError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    disarmDeadline(this);
    const waiter = this.#headWaiter;
    this.#headWaiter = undefined;
    waiter?.reject(error);
    if (this.#response !== undefined && !this.#responseDone) this.#sink?.onError(error);
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#host.streamClosed(this);
  }

  #active(): ClientHttp2Stream {
    if (this.#failure !== undefined) throw this.#failure;
    const stream = this.#stream;
    if (stream === undefined) {
      throw PingoraError.explain(ErrorType.InternalError, 'no request head was written');
    }
    return stream;
  }
}
