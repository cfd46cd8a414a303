/**
 * Serialises request and response heads into a caller-given Buffer, so a
 * session can put a head and the first body bytes (or the last chunk) into
 * one allocation and one write. Names, case and order go out exactly as the
 * head holds them; the head types validated every byte when it was set.
 */
import { h1VersionText, type RequestHeader, type ResponseHeader } from '@pingora-ts/http';
import { putLatin1 } from './latin1.ts';

/** Bytes `writeResponseHead` writes. */
export function responseHeadLength(resp: ResponseHeader): number {
  return 17 + resp.reason.length + resp.headersWireLength();
}

/** Writes the status line, the fields and the blank line at `o`; returns the offset after them. */
export function writeResponseHead(resp: ResponseHeader, buf: Buffer, o: number): number {
  o = putLatin1(buf, o, h1VersionText(resp.version));
  const s = resp.status;
  buf[o++] = 0x20;
  buf[o++] = 0x30 + Math.floor(s / 100);
  buf[o++] = 0x30 + (Math.floor(s / 10) % 10);
  buf[o++] = 0x30 + (s % 10);
  buf[o++] = 0x20;
  const reason = resp.reason;
  if (reason.length > 0) o = putLatin1(buf, o, reason);
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  o = resp.writeHeaders(buf, o);
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  return o;
}

/** Bytes `writeRequestHead` writes. */
export function requestHeadLength(req: RequestHeader): number {
  return req.method.length + req.target.length + 14 + req.headersWireLength();
}

/** Writes the request line, the fields and the blank line at `o`; returns the offset after them. */
export function writeRequestHead(req: RequestHeader, buf: Buffer, o: number): number {
  o = putLatin1(buf, o, req.method);
  buf[o++] = 0x20;
  o = putLatin1(buf, o, req.target);
  buf[o++] = 0x20;
  o = putLatin1(buf, o, h1VersionText(req.version));
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  o = req.writeHeaders(buf, o);
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  return o;
}

/** Bytes of the trailer section `0\r\n<fields>\r\n` that ends a chunked body. */
export function lastChunkLength(trailers: { headersWireLength(): number } | undefined): number {
  return 5 + (trailers === undefined ? 0 : trailers.headersWireLength());
}

export function writeLastChunk(
  trailers: { writeHeaders(buf: Buffer, o: number): number } | undefined,
  buf: Buffer,
  o: number,
): number {
  buf[o++] = 0x30;
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  if (trailers !== undefined) o = trailers.writeHeaders(buf, o);
  buf[o++] = 0x0d;
  buf[o++] = 0x0a;
  return o;
}
