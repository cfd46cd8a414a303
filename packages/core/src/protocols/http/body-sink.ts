/**
 * BodySink: how a session hands body bytes to its reader without a promise
 * or closure per chunk (the undici handler style). Used for request bodies on
 * server sessions and response bodies on client sessions, HTTP/1 and later
 * HTTP/2 alike.
 */
import type { Socket } from 'node:net';
import type { PingoraError } from '@pingora-ts/error';
import type { HeaderList } from '@pingora-ts/http';

export interface BodySink {
  /**
   * One chunk of body bytes. The Buffer may be a view of the session's read
   * buffer: it stays valid (the session never writes over it) but copy it if
   * you keep many. Return false to pause delivery until `resumeBody()`.
   *
   * Lifetime rule with `takesTransientChunks`: the chunk is then only valid
   * until `onData` returns (its memory is the process's shared read buffer,
   * which the next socket read overwrites). Within the call it may be written
   * to a session (`writeBody`: the HTTP/1 writer hands it to the kernel at
   * once and copies only what the kernel does not take; HTTP/2 copies) or
   * copied; anything that keeps it past the call (a queue, a promise, a body
   * filter) must keep `Buffer.from(chunk)` instead.
   */
  onData(chunk: Buffer): boolean;
  /**
   * True when `onData` consumes each chunk before returning (see the lifetime
   * rule above), so the session may hand over views of its shared read buffer
   * instead of copies. Absent or false: every chunk stays valid after the call.
   */
  readonly takesTransientChunks?: boolean;
  /** The body is complete; `trailers` are the chunked trailer fields, if any were sent. */
  onEnd(trailers: HeaderList | undefined): void;
  /**
   * The body failed (timeout, malformed framing, connection lost); nothing
   * follows. On an HTTP/2 request it may also come after `onEnd`, when the
   * client resets the stream before the response is complete.
   */
  onError(error: PingoraError): void;
}

/** What a connection becomes after a 101 (or a CONNECT 2xx): raw bytes both ways. */
export interface TunnelHandoff {
  /** The socket, paused and detached from the session: attach handlers, then resume() or pipe(). */
  readonly socket: Socket;
  /** Bytes the peer sent after the message head that the session had already read. */
  readonly head: Buffer;
}
