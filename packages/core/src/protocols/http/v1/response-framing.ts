/**
 * How a server sends a final response head on HTTP/1: the body framing it
 * gets (none after HEAD/204/304 or for a tunnel, chunked when no length is
 * known and the client speaks 1.1, until-close otherwise), with the framing
 * headers made consistent, the persistence header, and the empty error
 * responses sessions answer with.
 */
import { type RequestHeader, ResponseHeader, trimOws } from '@pingora-ts/http';
import { httpDate } from '../date-cache.ts';
import { BodyKind } from './message-framing.ts';

/** A 101, or a 2xx to CONNECT: the connection becomes a raw tunnel after the head. */
export function isTunnel(method: string, status: number): boolean {
  return status === 101 || (method === 'CONNECT' && status >= 200 && status < 300);
}

/**
 * The framing of `resp` as an answer to `req`. Adjusts `resp`: drops
 * Content-Length beside Transfer-Encoding (RFC 9112 6.2), drops
 * Transfer-Encoding for an HTTP/1.0 client, which cannot decode chunks, and
 * adds `Transfer-Encoding: chunked` to an HTTP/1.1 response with no length.
 */
export function responseFraming(
  req: RequestHeader,
  resp: ResponseHeader,
  tunnel: boolean,
): BodyKind {
  const status = resp.status;
  if (tunnel || req.method === 'HEAD' || status === 204 || status === 304) return BodyKind.None;
  if (resp.hasHeader('transfer-encoding')) {
    resp.removeHeader('content-length');
    if (req.version === 'HTTP/1.0') {
      resp.removeHeader('transfer-encoding');
      return BodyKind.Close;
    }
    const values = resp.getAll('transfer-encoding');
    return isChunkedFinal(values[values.length - 1] ?? '') ? BodyKind.Chunked : BodyKind.Close;
  }
  if (resp.hasHeader('content-length')) return BodyKind.Length;
  if (req.version === 'HTTP/1.1') {
    resp.appendUnchecked('Transfer-Encoding', 'chunked', 'transfer-encoding');
    return BodyKind.Chunked;
  }
  return BodyKind.Close;
}

/** An empty error response (Pingora's generate_error): no body, not cacheable. */
export function errorResponse(status: number): ResponseHeader {
  const resp = ResponseHeader.build(status);
  resp.appendUnchecked('Content-Length', '0', 'content-length');
  resp.appendUnchecked('Cache-Control', 'private, no-store', 'cache-control');
  return resp;
}

/** The error response that refuses a request head: the connection closes after it. */
export function refusalResponse(status: number, withDate: boolean): ResponseHeader {
  const resp = errorResponse(status);
  resp.appendUnchecked('Connection', 'close', 'connection');
  if (withDate) resp.appendUnchecked('Date', httpDate(), 'date');
  return resp;
}

/**
 * Says in `resp` whether the connection persists, where the client would
 * otherwise assume the opposite: `Connection: close` when it will close
 * (unless `connection`, the value the response already has, says so), and
 * `Connection: keep-alive` to an HTTP/1.0 client when it stays open.
 */
export function addPersistenceHeader(
  req: RequestHeader,
  resp: ResponseHeader,
  keepalive: boolean,
  connection: string | undefined,
): void {
  if (!keepalive) {
    if (connection === undefined || !hasCloseToken(connection)) {
      resp.insertHeader('Connection', 'close');
    }
  } else if (req.version === 'HTTP/1.0') {
    resp.insertHeader('Connection', 'keep-alive');
  }
}

/** True when a Connection value lists `close`. */
export function hasCloseToken(value: string): boolean {
  return hasConnectionToken(value, 'close');
}

/**
 * True when the comma-separated `value` lists `token` (lower case), compared
 * ASCII case-insensitively after trimming SP and HTAB only (never
 * `String.prototype.trim`, which also strips 0xA0: see trimOws).
 */
export function hasConnectionToken(value: string, token: string): boolean {
  if (value.length === token.length && value.toLowerCase() === token) return true;
  const parts = value.split(',');
  for (let i = 0; i < parts.length; i++) {
    const t = trimOws(parts[i]!);
    if (t.length === token.length && t.toLowerCase() === token) return true;
  }
  return false;
}

/** True when the last coding of a Transfer-Encoding value is `chunked` (SP/HTAB trimmed only). */
export function isChunkedFinal(value: string): boolean {
  const last = trimOws(value.slice(value.lastIndexOf(',') + 1));
  return last.length === 7 && last.toLowerCase() === 'chunked';
}

/**
 * True when a 101's `Upgrade` value (`answered`) names only protocols the
 * request's `Upgrade` value (`requested`) offered, and at least one (RFC
 * 9110 7.8). Names compare ASCII case-insensitively, SP/HTAB trimmed.
 */
export function upgradeAgreed(requested: string, answered: string | undefined): boolean {
  if (answered === undefined) return false;
  const offered = requested.split(',').map((t) => trimOws(t).toLowerCase());
  let any = false;
  for (const part of answered.split(',')) {
    const t = trimOws(part).toLowerCase();
    if (t === '') continue;
    if (!offered.includes(t)) return false;
    any = true;
  }
  return any;
}

/** True when an Expect value is exactly `100-continue` (any case). */
export function is100Continue(value: string | undefined): boolean {
  return value !== undefined && value.length === 12 && value.toLowerCase() === '100-continue';
}
