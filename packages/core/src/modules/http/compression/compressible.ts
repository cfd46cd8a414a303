/**
 * Which responses are worth compressing: textual media types (text/*, JSON,
 * JavaScript, XML, SVG, ...) of a useful size, and not already encoded or
 * marked no-transform. Images, video, archives and fonts are left alone.
 */
import { type ResponseHeader, trimOws } from '@pingora-ts/http';

const TYPES = new Set([
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/ld+json',
  'application/manifest+json',
  'application/graphql-response+json',
  'application/wasm',
  'application/x-ndjson',
  'application/vnd.api+json',
  'image/svg+xml',
  'image/x-icon',
  'image/bmp',
  'font/ttf',
  'font/otf',
]);

/** Whether a Content-Type value names a compressible media type (parameters ignored). */
export function isCompressibleType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  const type = trimOws(semi === -1 ? contentType : contentType.slice(0, semi)).toLowerCase();
  if (type.startsWith('text/')) return true;
  if (TYPES.has(type)) return true;
  return type.endsWith('+json') || type.endsWith('+xml');
}

/** True when Cache-Control forbids intermediaries from changing the body (RFC 9111 5.2.2.6). */
export function hasNoTransform(resp: ResponseHeader): boolean {
  for (const value of resp.getAll('cache-control')) {
    if (/(^|,)[ \t]*no-transform[ \t]*(,|$)/i.test(value)) return true;
  }
  return false;
}

/** The Content-Length of the response, or undefined when absent or not one plain number. */
export function declaredLength(resp: ResponseHeader): number | undefined {
  const values = resp.getAll('content-length');
  if (values.length !== 1) return undefined;
  const v = values[0]!;
  return /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}
