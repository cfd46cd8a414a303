/**
 * The framing state of a body being written (a server's response body or a
 * client's request body): Content-Length (counted, never exceeded), chunked
 * (each write one chunk, trailers at the end), until-close, or none (bytes
 * after a HEAD/204/304 head are dropped, as the peer expects none).
 */

import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { HeaderList } from '@pingora-ts/http';
import { BodyKind } from './message-framing.ts';

/** Where framed bytes go: the session's coalescing writer. */
export interface FramedWriter {
  write(chunk: Buffer | null, chunked: boolean, last: boolean, trailers?: HeaderList): boolean;
  readonly socket: { readonly writableNeedDrain: boolean };
}

export class OutgoingBody {
  kind: BodyKind = BodyKind.None;
  /** Bytes still owed under Content-Length. */
  remaining = 0;
  /** Body bytes written. */
  sent = 0;
  /** True once finished (or before any message started). */
  done = true;

  /** Marks a message as pending (its head not yet written). */
  reset(): void {
    this.kind = BodyKind.None;
    this.remaining = 0;
    this.sent = 0;
    this.done = false;
  }

  /** Sets the framing for a head; false when its Content-Length is not a valid number. */
  start(kind: BodyKind, head: HeaderList): boolean {
    this.kind = kind;
    this.sent = 0;
    this.done = false;
    if (kind !== BodyKind.Length) return true;
    const v = singleContentLength(head);
    if (v.length === 0 || v.length > 15) return false;
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) return false;
      n = n * 10 + c;
    }
    this.remaining = n;
    return true;
  }

  /** Writes body bytes with the framing; false = backpressure. Throws past Content-Length. */
  write(w: FramedWriter, chunk: Buffer): boolean {
    const n = chunk.length;
    switch (this.kind) {
      case BodyKind.Length:
        if (n > this.remaining) {
          throw PingoraError.explain(
            ErrorType.InternalError,
            `body longer than its Content-Length (${n} bytes written with ${this.remaining} left)`,
          );
        }
        this.remaining -= n;
        break;
      case BodyKind.None:
        return !w.socket.writableNeedDrain;
    }
    if (n === 0) return !w.socket.writableNeedDrain;
    this.sent += n;
    return w.write(chunk, this.kind === BodyKind.Chunked, false);
  }

  /** Ends the body; returns false when it was incomplete (the connection must then close). */
  finish(w: FramedWriter, trailers?: HeaderList): boolean {
    this.done = true;
    const chunked = this.kind === BodyKind.Chunked;
    w.write(null, chunked, chunked, trailers);
    if (this.kind === BodyKind.Length) return this.remaining === 0;
    return this.kind !== BodyKind.Close;
  }
}

/** The value of the one Content-Length field of `head`, or '' when it has none or several (no allocation). */
function singleContentLength(head: HeaderList): string {
  let value = '';
  let found = 0;
  for (let i = 0; i < head.headerCount; i++) {
    const name = head.nameAt(i)!;
    if (name.length === 14 && isContentLength(name)) {
      if (++found > 1) return '';
      value = head.valueAt(i)!;
    }
  }
  return value;
}

function isContentLength(name: string): boolean {
  const lower = 'content-length';
  for (let i = 0; i < 14; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
