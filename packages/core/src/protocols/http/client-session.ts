/**
 * HttpClientSession: the upstream side of one HTTP exchange as connectors and
 * the proxy see it (Pingora's protocols::http::client::HttpSession). HTTP/1
 * sessions implement it now; an HTTP/2 stream will implement the same one.
 */
import type { PingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { UpstreamTlsDigest } from '../../connectors/upstream-tls.ts';
import type { BodySink, TunnelHandoff } from './body-sink.ts';

/** Receives a final response head, or the error that ended the wait for it. */
export interface ResponseHeadSink {
  onResponseHead(resp: ResponseHeader): void;
  onResponseHeadError(error: PingoraError): void;
  /** An informational (1xx) head other than 100 and 101; when absent, `onInformational` hears it. */
  onInformationalHead?(resp: ResponseHeader): void;
}

export interface HttpClientSession {
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  /** Milliseconds to wait for response bytes (head and each body read). Settable (peer options). */
  readTimeoutMs: number;
  /** Milliseconds a request write may stay blocked on a full send buffer. Settable. */
  writeTimeoutMs: number;
  /** Called with each informational (1xx) response other than 100 and 101, e.g. 103 Early Hints. */
  onInformational: ((resp: ResponseHeader) => void) | undefined;
  /** Over TLS: what the upstream handshake negotiated (version, cipher, ALPN, resumed, certificate). */
  readonly upstreamTls?: UpstreamTlsDigest | undefined;

  /**
   * Sends a request head (case and order kept). A body follows when the head
   * has Content-Length or Transfer-Encoding: chunked; then call writeBody and
   * finishRequestBody. Throws InvalidHTTPHeader for framing it cannot send.
   */
  writeRequestHeader(req: RequestHeader): void;
  /** Writes request body bytes; false means wait for `onDrain` before writing more. */
  writeBody(chunk: Buffer): boolean;
  /** Calls `cb` once after the send buffer drains (or at once if it is not full). */
  onDrain(cb: () => void): void;
  /** Ends the request body (last chunk with `trailers` when chunked). */
  finishRequestBody(trailers?: HeaderList): Promise<void>;

  /**
   * Reads the final response head. 100 Continue is consumed, other 1xx
   * (not 101) go to `onInformational`. Rejects with an Upstream PingoraError
   * on a malformed head, a timeout or a lost connection.
   */
  readResponseHeader(): Promise<ResponseHeader>;
  /**
   * readResponseHeader with a sink instead of a promise (the proxy's path:
   * no promise or closure per request). The sink hears exactly once, possibly
   * before this returns when the head is already buffered.
   */
  readResponseHeaderInto?(sink: ResponseHeadSink): void;
  /** The final response head, once read. */
  readonly responseHeader: ResponseHeader | undefined;
  /** Streams the response body into `sink` (see BodySink). */
  readBodyInto(sink: BodySink): void;
  /** Resumes delivery paused by `onData` returning false. */
  resumeBody(): void;
  /** The next response body chunk, or null at its end. */
  readBodyChunk(): Promise<Buffer | null>;
  /** True once the response body has been read to its end (or there was none). */
  readonly responseBodyDone: boolean;
  /** True once any byte of a response to the current request arrived (retry decisions). */
  readonly receivedResponseBytes: boolean;

  /**
   * True when the connection may serve another request: both messages were
   * framed cleanly and fully consumed, both sides allow persistence, nothing
   * unexpected arrived and the connection is open.
   */
  reusable(): boolean;
  /** After a 101 (or a 2xx to CONNECT): the raw connection and bytes already read. */
  upgradeToTunnel(): TunnelHandoff;
  /** True once the connection has failed or closed. */
  readonly closed: boolean;
  /** Closes the connection at once; pending operations fail with `error` (default ConnectionClosed). */
  destroy(error?: PingoraError): void;
}
