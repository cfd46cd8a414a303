/**
 * The request sent upstream, built from the downstream one: a copy without
 * hop-by-hop fields, in origin-form, as HTTP/1.1 with a Host, and with the
 * framing its body needs. upstreamRequestFilter then sees and may change it.
 */
import type { HttpPeer } from '@pingora-ts/core';
import type { RequestHeader } from '@pingora-ts/http';
import { removeHopByHopHeaders } from './hop-by-hop.ts';
import type { Session } from './session.ts';

/** Builds the request for the upstream from the downstream one: hop-by-hop gone, framing and Host set. */
export function upstreamRequestFrom(session: Session, peer: HttpPeer): RequestHeader {
  const down = session.reqHeader;
  const req = down.clone();
  const chunked = down.hasHeader('transfer-encoding');
  const upgrade = session.isUpgradeRequest;
  const teTrailers = acceptsTrailers(down);
  removeHopByHopHeaders(req, upgrade);
  // `TE: trailers` says the client takes trailers: gRPC needs it end to end (h2 allows only this TE).
  if (teTrailers) req.appendHeader('TE', 'trailers');
  toOriginForm(req);
  // This hop answers Expect itself (the server session sends 100 Continue).
  if (req.hasHeader('expect')) req.removeHeader('expect');
  if (chunked && !req.hasHeader('content-length')) req.appendHeader('Transfer-Encoding', 'chunked');
  if (req.version !== 'HTTP/1.1') {
    req.version = 'HTTP/1.1';
    // HTTP/1.0 clients may leave Host out; HTTP/1.1 requires it.
    if (!req.hasHeader('host')) {
      const a = peer.address;
      req.insertHeader(
        'Host',
        a.kind === 'unix'
          ? 'localhost'
          : a.family === 6
            ? `[${a.address}]:${a.port}`
            : `${a.address}:${a.port}`,
      );
    }
  }
  return req;
}

/** True when a TE field of `req` lists `trailers`. */
function acceptsTrailers(req: RequestHeader): boolean {
  if (!req.hasHeader('te')) return false;
  for (const line of req.getAll('te'))
    if (/(^|,)[ \t]*trailers[ \t]*(;|,|$)/i.test(line)) return true;
  return false;
}

/**
 * An absolute-form target (`GET http://example.com/p?q`) becomes origin-form
 * for the upstream, with Host taken from its authority, which RFC 9112 3.2.2
 * says wins over any Host field the client sent.
 */
function toOriginForm(req: RequestHeader): void {
  const target = req.target;
  if (target.charCodeAt(0) === 0x2f || !/^https?:\/\//i.test(target)) return;
  const start = target.indexOf('//') + 2;
  let end = target.length;
  for (let i = start; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) {
      end = i;
      break;
    }
  }
  const authority = target.slice(start, end);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const query = req.query;
  req.target = query === undefined ? req.path : `${req.path}?${query}`;
  if (host !== '') req.insertHeader('Host', host);
}
