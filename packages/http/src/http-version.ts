/**
 * The HTTP versions a header can carry. HTTP/1.x heads are written on the wire
 * by this package; `HTTP/2` marks a head that came from (or goes to) an h2
 * session, where the version is not part of the bytes.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';

export type HttpVersion = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

/** True for one of the three version strings. */
export function isHttpVersion(value: unknown): value is HttpVersion {
  return value === 'HTTP/1.1' || value === 'HTTP/1.0' || value === 'HTTP/2';
}

/** Returns `value` if it is a known version, else throws InvalidHTTPHeader (JS callers may pass anything). */
export function checkHttpVersion(value: unknown): HttpVersion {
  if (isHttpVersion(value)) return value;
  throw PingoraError.explain(
    ErrorType.InvalidHTTPHeader,
    `invalid HTTP version ${JSON.stringify(String(value))}`,
  );
}

/**
 * The version as written in an HTTP/1 start line. An `HTTP/2` head sent over
 * HTTP/1 (an h2 client proxied to an h1 upstream) is written as HTTP/1.1.
 */
export function h1VersionText(version: HttpVersion): 'HTTP/1.0' | 'HTTP/1.1' {
  return version === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
}
