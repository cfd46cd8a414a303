/**
 * HttpServerSession: the downstream side of one HTTP connection as apps and
 * the proxy see it (Pingora's protocols::http::ServerSession). HTTP/1 sessions
 * implement it now; an HTTP/2 stream will implement the same interface, so
 * code written against it serves both.
 */
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { StreamDigest } from '../../l4/stream.ts';
import type { BodySink, TunnelHandoff } from './body-sink.ts';

export interface HttpServerSession {
  /** `HTTP/1.1` for an HTTP/1.x connection (either minor version), `HTTP/2` for an h2 stream. */
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  /** Who is on each end of the connection and since when. */
  readonly digest: StreamDigest;
  /** Requests read on this connection so far (1 during the first). */
  readonly requestCount: number;

  /**
   * Reads the next request head. Resolves null when there is none to serve:
   * the client closed or stayed idle past the keep-alive timeout between
   * requests, or the connection is not reusable. A malformed, oversized or
   * too slow request is answered (400, 408, 413, 414, 417, 431, 505) and the
   * connection closed before the promise rejects with a Downstream
   * PingoraError (`HTTPStatus` with that status, or `ReadTimedout`).
   * Call it again only after the previous response is finished.
   */
  readRequest(): Promise<RequestHeader | null>;
  /** The request being served (after readRequest resolved it). */
  readonly requestHeader: RequestHeader | undefined;
  /** True when the request asks to switch protocols (Upgrade + Connection: upgrade). */
  readonly isUpgradeRequest: boolean;

  /**
   * Streams the request body into `sink` (the proxy's hot path): chunks as
   * they arrive, `onData` returning false pauses until `resumeBody()`, then
   * `onEnd` (with trailers) or `onError`. `Expect: 100-continue` is answered
   * with 100 when the body is first read, unless a response was written.
   */
  readBodyInto(sink: BodySink): void;
  /** Resumes body delivery paused by `onData` returning false. */
  resumeBody(): void;
  /** The next request body chunk, or null at its end (convenience over readBodyInto). */
  readBodyChunk(): Promise<Buffer | null>;
  /** Reads and discards the rest of the request body. */
  drainRequestBody(): Promise<void>;
  /** True once the request body has been read to its end (or there was none). */
  readonly requestBodyDone: boolean;
  /** Request body bytes read so far. */
  readonly requestBodyBytes: number;

  /** Sends `100 Continue` now (normally automatic, see readBodyInto). */
  writeContinue(): void;
  /**
   * Writes a response head. 1xx heads (not 101) go out at once and more may
   * follow; the final head may be adjusted for the connection before it is
   * sent: framing (Transfer-Encoding: chunked when no length is given),
   * Connection and a cached Date. It goes out in one write with the body
   * bytes written in the same tick, else alone on the next tick.
   */
  writeResponseHeader(resp: ResponseHeader): void;
  /** The final response head written, if any. */
  readonly responseWritten: ResponseHeader | undefined;
  /**
   * Writes response body bytes. Returns false when the connection's send
   * buffer is full: wait for `onDrain` before writing more. Throws the
   * connection's PingoraError if it has failed.
   */
  writeBody(chunk: Buffer): boolean;
  /** Calls `cb` once after the send buffer drains (or at once if it is not full). */
  onDrain(cb: () => void): void;
  /**
   * Ends the response (last chunk with `trailers` when chunked). Resolves when
   * the send buffer is below its high-water mark; the connection is closed
   * after it when it is not to be kept alive.
   */
  finishResponse(trailers?: HeaderList): Promise<void>;
  /**
   * Writes a whole response, head and optional body, in one write and
   * finishes it (as writeResponseHeader, writeBody and finishResponse
   * would). Waiting for the send buffer is left to the next readRequest.
   */
  writeResponse(resp: ResponseHeader, body?: Buffer): void;
  /**
   * Ends the response as finishResponse does, without waiting for the send
   * buffer to drain (the next readRequest waits). Throws the connection's
   * PingoraError if it has failed.
   */
  endResponse(trailers?: HeaderList): void;
  /**
   * Answers with an empty error response of `status` and finishes it. If a
   * response head was already sent, the connection is closed instead.
   */
  respondError(status: number): Promise<void>;

  /** Whether the connection will be kept alive after this response. */
  readonly keepalive: boolean;
  /**
   * null: close after this response. A number: keep alive (when the client
   * allows it), waiting at most that many ms for the next request (0: the
   * session's default).
   */
  setKeepalive(idleTimeoutMs: number | null): void;

  /**
   * After a 101 response to an upgrade request (or a 2xx to CONNECT), hands
   * over the raw connection and the bytes already read past the request.
   * The session is done afterwards.
   */
  upgradeToTunnel(): TunnelHandoff;

  /** `GET /path, Host: example.com` for logs. */
  requestSummary(): string;
  /** True once the connection has failed or closed. */
  readonly closed: boolean;
  /** Closes the connection at once. */
  destroy(): void;
}
