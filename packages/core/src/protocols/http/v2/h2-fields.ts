/**
 * Field translation between our case-preserving heads and node:http2's
 * header objects, in both directions: pseudo-headers <-> method, target and
 * Host, connection-specific fields (RFC 9113 8.2.2) removed before Node sees
 * them, cookie crumbs joined for HTTP/1, and header lists for trailers.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { HeaderList, RequestHeader, ResponseHeader, trimOws } from '@pingora-ts/http';

/** Fields that describe one HTTP/1 connection: never sent on an h2 stream. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** True when `value` of a TE field allows it on h2: only `trailers` is (RFC 9113 8.2.2). */
function teIsTrailers(value: string): boolean {
  return trimOws(value).toLowerCase() === 'trailers';
}

/** Adds `value` under `name` to `out`, turning repeats into arrays. */
function put(out: OutgoingHttpHeaders, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [String(prev), value];
}

/** Copies the regular fields of `list` into `out`, lower-cased, without connection-specific ones. */
function copyFields(list: HeaderList, out: OutgoingHttpHeaders): void {
  const n = list.headerCount;
  for (let i = 0; i < n; i++) {
    const name = (list.nameAt(i) as string).toLowerCase();
    const value = list.valueAt(i) as string;
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te') {
      if (teIsTrailers(value)) put(out, 'te', 'trailers');
      continue;
    }
    put(out, name, value);
  }
}

/**
 * The h2 header object of a request head: `:method`, `:scheme`, `:path` and
 * `:authority` (from Host, else the absolute-form target), regular fields
 * lower-cased without connection-specific ones.
 */
export function requestToH2(req: RequestHeader, scheme: 'http' | 'https'): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': req.method };
  let authority = req.getHeader('host');
  const target = req.target;
  if (req.method === 'CONNECT') {
    out[':authority'] = authority ?? target;
  } else {
    let path = target;
    if (target.charCodeAt(0) !== 0x2f && /^https?:\/\//i.test(target)) {
      const start = target.indexOf('//') + 2;
      const slash = target.indexOf('/', start);
      authority = target.slice(start, slash === -1 ? target.length : slash);
      path = slash === -1 ? '/' : target.slice(slash);
    }
    out[':scheme'] = scheme;
    out[':path'] = path;
    if (authority !== undefined && authority !== '') out[':authority'] = authority;
  }
  copyFields(req, out);
  return out;
}

/** The h2 header object of a response head: `:status` and the regular fields. */
export function responseToH2(resp: ResponseHeader): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': resp.status };
  copyFields(resp, out);
  return out;
}

/** Trailer fields as an h2 header object (connection-specific ones dropped). */
export function trailersToH2(trailers: HeaderList | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (trailers !== undefined) copyFields(trailers, out);
  return out;
}

function malformed(source: ErrorSource, why: string): PingoraError {
  return PingoraError.create(ErrorType.InvalidHTTPHeader, source, why);
}

/**
 * The request head of an h2 stream, as an HTTP/2 RequestHeader: target from
 * `:path` (the authority for CONNECT), `Host` from `:authority`, cookie
 * crumbs joined with `; ` (RFC 9113 8.2.3). A request with a body but no
 * Content-Length is marked `Transfer-Encoding: chunked`, its HTTP/1 equivalent,
 * so framing decisions downstream of the session need no h2 branch.
 */
export function requestFromH2(raw: readonly string[], hasBody: boolean): RequestHeader {
  let method: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let cookie: string | undefined;
  const fields: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
      continue;
    }
    if (name === 'cookie') {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === 'host') {
      authority ??= value;
      continue;
    }
    fields.push(name, value);
  }
  if (method === undefined) throw malformed(ErrorSource.Downstream, 'h2 request without :method');
  if (method === 'CONNECT') {
    // Tunnels over h2 streams (RFC 9113 8.5) are not offered, as in Pingora.
    throw PingoraError.httpStatus(
      501,
      'CONNECT over HTTP/2 is not supported',
      ErrorSource.Downstream,
    );
  }
  const target = path;
  if (target === undefined || target === '') {
    throw malformed(ErrorSource.Downstream, 'h2 request without :path');
  }
  const req = RequestHeader.build(method, target, 'HTTP/2');
  if (authority !== undefined) req.appendHeader('host', authority);
  for (let i = 0; i < fields.length; i += 2) {
    req.appendHeader(fields[i] as string, fields[i + 1] as string);
  }
  if (cookie !== undefined) req.appendHeader('cookie', cookie);
  if (hasBody && !req.hasHeader('content-length')) req.appendHeader('transfer-encoding', 'chunked');
  return req;
}

/** A response head from an h2 HEADERS frame (`:status` and fields). */
export function responseFromH2(headers: IncomingHttpHeaders, source: ErrorSource): ResponseHeader {
  const status = Number(headers[':status']);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw malformed(source, `invalid h2 :status ${String(headers[':status'])}`);
  }
  const resp = ResponseHeader.build(status, 'HTTP/2');
  appendH2Fields(resp, headers);
  return resp;
}

/** Appends the regular fields of an h2 header object to `list` (pseudo-headers skipped). */
export function appendH2Fields(list: HeaderList, headers: IncomingHttpHeaders): void {
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) list.appendHeader(name, v);
    else list.appendHeader(name, value);
  }
}

/** Trailers received on an h2 stream as a HeaderList. */
export function trailersFromH2(headers: IncomingHttpHeaders): HeaderList {
  const list = new HeaderList();
  appendH2Fields(list, headers);
  return list;
}
