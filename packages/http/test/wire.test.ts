import { describe, expect, it } from 'vitest';
import { RequestHeader, ResponseHeader, statusReason } from '../src/index.ts';

describe('RequestHeader', () => {
  it('writes the exact HTTP/1.1 bytes', () => {
    const r = RequestHeader.build('POST', '/submit?x=1');
    r.appendHeader('Host', 'example.com');
    r.appendHeader('content-length', 5);
    r.appendHeader('X-Empty', '');
    expect(r.toWire().toString('latin1')).toBe(
      'POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\ncontent-length: 5\r\nX-Empty: \r\n\r\n',
    );
  });

  it('writes HTTP/1.0 and writes an HTTP/2 head as HTTP/1.1', () => {
    expect(RequestHeader.build('GET', '/', 'HTTP/1.0').toWire().toString()).toBe(
      'GET / HTTP/1.0\r\n\r\n',
    );
    expect(RequestHeader.build('GET', '/', 'HTTP/2').toWire().toString()).toBe(
      'GET / HTTP/1.1\r\n\r\n',
    );
  });

  it('writes long names and values and non-ASCII bytes exactly', () => {
    const long = 'v'.repeat(5000);
    const r = RequestHeader.build('GET', `/${'p'.repeat(300)}\u00e9`);
    r.appendHeader(`X-${'n'.repeat(100)}`, long);
    r.appendHeader('X-Latin1', '\u00ff\u0080');
    const expected = `GET /${'p'.repeat(300)}\u00e9 HTTP/1.1\r\nX-${'n'.repeat(100)}: ${long}\r\nX-Latin1: \u00ff\u0080\r\n\r\n`;
    const wire = r.toWire();
    expect(wire.length).toBe(expected.length);
    expect(wire.equals(Buffer.from(expected, 'latin1'))).toBe(true);
  });

  it.each([
    ['/a/b?x=1&y', '/a/b', 'x=1&y'],
    ['/a/b', '/a/b', undefined],
    ['/a?', '/a', ''],
    ['/?q', '/', 'q'],
    ['*', '*', undefined],
    ['http://example.com/p/q?z', '/p/q', 'z'],
    ['http://example.com', '/', undefined],
    ['http://example.com?q', '/', 'q'],
    ['example.com:443', '', undefined],
  ])('parses path and query of %j', (target, path, query) => {
    const r = RequestHeader.build('GET', target);
    expect(r.path).toBe(path);
    expect(r.query).toBe(query);
  });

  it('re-parses path and query after the target changes', () => {
    const r = RequestHeader.build('GET', '/a?b');
    expect(r.path).toBe('/a');
    r.target = '/c';
    expect(r.path).toBe('/c');
    expect(r.query).toBeUndefined();
  });
});

describe('ResponseHeader', () => {
  it('writes the exact status line and fields', () => {
    const r = ResponseHeader.build(200);
    r.appendHeader('Content-Type', 'text/html');
    r.appendHeader('set-cookie', 'a=1');
    r.appendHeader('Set-Cookie', 'b=2');
    expect(r.toWire().toString('latin1')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
    );
  });

  it('follows the status with the canonical reason until one is set', () => {
    const r = ResponseHeader.build(404, 'HTTP/1.0');
    expect(r.reason).toBe('Not Found');
    r.status = 502;
    expect(r.reason).toBe('Bad Gateway');
    r.reason = 'Upstream Went Away';
    r.status = 503;
    expect(r.reason).toBe('Upstream Went Away');
    expect(r.toWire().toString()).toBe('HTTP/1.0 503 Upstream Went Away\r\n\r\n');
    r.reason = undefined;
    expect(r.reason).toBe('Service Unavailable');
  });

  it('writes an unregistered code with an empty reason and keeps the SP', () => {
    const r = ResponseHeader.build(599);
    expect(r.reason).toBe('');
    expect(r.toWire().toString()).toBe('HTTP/1.1 599 \r\n\r\n');
    expect(ResponseHeader.build(100).toWire().toString()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
  });

  it('keeps a parsed reason as received', () => {
    const r = ResponseHeader.unchecked(200, 'Fine', 'HTTP/1.1');
    expect(r.reason).toBe('Fine');
    expect(ResponseHeader.unchecked(200, 'OK', 'HTTP/1.1').reason).toBe('OK');
    expect(ResponseHeader.unchecked(204, '', 'HTTP/1.1').toWire().toString()).toBe(
      'HTTP/1.1 204 \r\n\r\n',
    );
  });

  it('knows the canonical reasons', () => {
    expect(statusReason(200)).toBe('OK');
    expect(statusReason(418)).toBe("I'm a teapot");
    expect(statusReason(999)).toBeUndefined();
  });
});
