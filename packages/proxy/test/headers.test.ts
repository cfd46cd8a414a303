import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../src/error-status.ts';
import { addForwardedHeaders } from '../src/forwarded.ts';
import { removeHopByHopHeaders } from '../src/hop-by-hop.ts';

describe('removeHopByHopHeaders', () => {
  it('drops the fixed hop-by-hop fields and those Connection names', () => {
    const req = RequestHeader.build('GET', '/');
    req.appendHeader('Host', 'example.com');
    req.appendHeader('Connection', 'keep-alive, X-Secret');
    req.appendHeader('Connection', 'Foo');
    req.appendHeader('X-Secret', '1');
    req.appendHeader('foo', '2');
    req.appendHeader('Keep-Alive', 'timeout=5');
    req.appendHeader('TE', 'trailers');
    req.appendHeader('Trailer', 'X-Checksum');
    req.appendHeader('Transfer-Encoding', 'chunked');
    req.appendHeader('Upgrade', 'websocket');
    req.appendHeader('Proxy-Connection', 'keep-alive');
    req.appendHeader('X-Kept', 'yes');
    removeHopByHopHeaders(req);
    expect([...req]).toEqual([
      ['Host', 'example.com'],
      ['X-Kept', 'yes'],
    ]);
  });

  it('a lone Connection: Close / keep-alive still removes the field it names (fast path)', () => {
    const resp = ResponseHeader.build(200);
    resp.appendHeader('Connection', 'Close');
    resp.appendHeader('close', 'x');
    resp.appendHeader('Keep-Alive', 'timeout=5');
    resp.appendHeader('Content-Length', '0');
    removeHopByHopHeaders(resp);
    expect([...resp]).toEqual([['Content-Length', '0']]);
    const two = ResponseHeader.build(200);
    two.appendHeader('Connection', 'keep-alive');
    two.appendHeader('Connection', 'X-Hop');
    two.appendHeader('X-Hop', '1');
    two.appendHeader('X-End', '2');
    removeHopByHopHeaders(two);
    expect([...two]).toEqual([['X-End', '2']]);
  });

  it('never lets Connection remove Host or Content-Length', () => {
    const resp = ResponseHeader.build(200);
    resp.appendHeader('Content-Length', '5');
    resp.appendHeader('Connection', 'content-length, host');
    removeHopByHopHeaders(resp);
    expect([...resp]).toEqual([['Content-Length', '5']]);
  });

  it('keeps Upgrade and Connection: upgrade for an upgrade', () => {
    const req = RequestHeader.build('GET', '/chat');
    req.appendHeader('Connection', 'Upgrade, keep-alive');
    req.appendHeader('Upgrade', 'websocket');
    req.appendHeader('Sec-WebSocket-Key', 'abc');
    removeHopByHopHeaders(req, true);
    expect(req.getHeader('upgrade')).toBe('websocket');
    expect(req.getAll('connection')).toEqual(['upgrade']);
    expect(req.getHeader('sec-websocket-key')).toBe('abc');
  });
});

describe('addForwardedHeaders', () => {
  const v4 = { kind: 'inet', family: 4, address: '10.1.2.3', port: 5555 } as const;
  const v6 = { kind: 'inet', family: 6, address: '2001:db8::1', port: 5555 } as const;

  it('appends to X-Forwarded-For and sets X-Forwarded-Proto', () => {
    const req = RequestHeader.build('GET', '/');
    req.appendHeader('X-Forwarded-For', '192.0.2.1');
    req.appendHeader('x-forwarded-for', '192.0.2.2');
    addForwardedHeaders(req, v4, { proto: 'https' });
    expect(req.getAll('x-forwarded-for')).toEqual(['192.0.2.1, 192.0.2.2, 10.1.2.3']);
    expect(req.getHeader('x-forwarded-proto')).toBe('https');
  });

  it('replaces client-supplied values when told to distrust them', () => {
    const req = RequestHeader.build('GET', '/');
    req.appendHeader('X-Forwarded-For', '6.6.6.6');
    req.appendHeader('X-Forwarded-Proto', 'https');
    addForwardedHeaders(req, v4, { replaceIncoming: true });
    expect(req.getHeader('x-forwarded-for')).toBe('10.1.2.3');
    expect(req.getHeader('x-forwarded-proto')).toBe('http');
  });

  it('writes an RFC 7239 element with bracketed, quoted IPv6', () => {
    const req = RequestHeader.build('GET', '/');
    req.appendHeader('Host', 'example.com:8080');
    req.appendHeader('Forwarded', 'for=192.0.2.60');
    addForwardedHeaders(req, v6, { forwarded: true, xForwardedFor: false, by: 'proxy-1' });
    expect(req.getHeader('forwarded')).toBe(
      'for=192.0.2.60, for="[2001:db8::1]";by=proxy-1;host="example.com:8080";proto=http',
    );
    expect(req.hasHeader('x-forwarded-for')).toBe(false);
  });
});

describe('errorStatus', () => {
  const e = (type: ErrorType, source: ErrorSource) => PingoraError.create(type, source);

  it('maps upstream failures to 502 and timeouts to 504', () => {
    expect(errorStatus(e(ErrorType.ConnectRefused, ErrorSource.Upstream))).toBe(502);
    expect(errorStatus(e(ErrorType.ConnectNoRoute, ErrorSource.Unset))).toBe(502);
    expect(errorStatus(e(ErrorType.H1Error, ErrorSource.Upstream))).toBe(502);
    expect(errorStatus(e(ErrorType.ReadTimedout, ErrorSource.Upstream))).toBe(504);
    expect(errorStatus(e(ErrorType.ConnectTimedout, ErrorSource.Unset))).toBe(504);
  });

  it('maps bad requests to 400, a slow client to 408, a dead client to 0', () => {
    expect(errorStatus(e(ErrorType.InvalidHTTPHeader, ErrorSource.Downstream))).toBe(400);
    expect(errorStatus(e(ErrorType.ReadTimedout, ErrorSource.Downstream))).toBe(408);
    expect(errorStatus(e(ErrorType.ConnectionClosed, ErrorSource.Downstream))).toBe(0);
  });

  it('uses the status of HTTPStatus errors and 500 for internal ones', () => {
    expect(errorStatus(PingoraError.httpStatus(429))).toBe(429);
    expect(errorStatus(e(ErrorType.InternalError, ErrorSource.Internal))).toBe(500);
  });
});
