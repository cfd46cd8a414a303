/**
 * The strictness table: malformed and request-smuggling inputs, each sent over
 * a real socket to an HttpServer, with the status it must be answered with
 * and the connection closed after it (RFC 9112 and smuggling hygiene).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/apps/http-app.ts';
import { ServeHttpApp } from '../../src/apps/serve-http.ts';
import {
  echoHandler,
  rawExchange,
  startApp,
  statuses,
  type TestServer,
} from './utils/h1-server.ts';

const H = 'Host: a\r\n';
const get = (line: string): string => `${line}\r\n${H}\r\n`;
const withHeaders = (headers: string): string => `GET / HTTP/1.1\r\n${headers}\r\n`;
const post = (headers: string, body: string): string =>
  `POST / HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', body);

/** [name, raw request, expected status] */
const CASES: [string, string, number][] = [
  // request line
  ['double space before target', get('GET  / HTTP/1.1'), 400],
  ['double space before version', get('GET /  HTTP/1.1'), 400],
  ['invalid method char', get('G@T / HTTP/1.1'), 400],
  ['method with tab separator', get('GET\t/ HTTP/1.1'), 400],
  ['leading space', get(' GET / HTTP/1.1'), 400],
  ['leading NUL', get('\x00GET / HTTP/1.1'), 400],
  ['trailing space after version', get('GET / HTTP/1.1 '), 400],
  ['HTTP/1.2', get('GET / HTTP/1.2'), 505],
  ['HTTP/2.0 in an h1 request line', get('GET / HTTP/2.0'), 505],
  ['HTTP/1 without minor', get('GET / HTTP/1'), 400],
  ['lower-case version', get('GET / http/1.1'), 400],
  ['garbage version', get('GET / HTTX/1.1'), 400],
  ['bare LF after request line', `GET / HTTP/1.1\n${H}\r\n`, 400],
  ['bare CR after request line', `GET / HTTP/1.1\r${H}\r\n`, 400],
  ['CR CR LF after request line', `GET / HTTP/1.1\r\r\n${H}\r\n`, 400],
  ['space inside target', get('GET /a b HTTP/1.1'), 400],
  ['control char in target', get('GET /\x01 HTTP/1.1'), 400],
  ['DEL in target', get('GET /\x7f HTTP/1.1'), 400],
  ['non-ASCII byte in target', get('GET /\xff HTTP/1.1'), 400],
  ['bare CR in target', get('GET /a\rb HTTP/1.1'), 400],
  ['asterisk target for GET', get('GET * HTTP/1.1'), 400],
  ['origin-form target for CONNECT', get('CONNECT /path HTTP/1.1'), 400],
  ['relative target', get('GET a/b HTTP/1.1'), 400],
  ['scheme starting with a digit', get('GET 1http://a/ HTTP/1.1'), 400],
  ['request line too long', get(`GET /${'a'.repeat(9000)} HTTP/1.1`), 414],
  // header fields
  ['space before colon', withHeaders('Host : a\r\n'), 400],
  ['tab before colon', withHeaders('Host\t: a\r\n'), 400],
  ['obs-fold with space', withHeaders(`${H}X-A: 1\r\n 2\r\n`), 400],
  ['obs-fold with tab', withHeaders(`${H}X-A: 1\r\n\t2\r\n`), 400],
  ['obs-fold as first field', withHeaders(` X: 1\r\n${H}`), 400],
  ['bare CR in value', withHeaders(`${H}X-A: 1\r2\r\n`), 400],
  ['bare LF in value', withHeaders(`${H}X-A: 1\n2\r\n`), 400],
  ['NUL in value', withHeaders(`${H}X-A: 1\x002\r\n`), 400],
  ['control char in value', withHeaders(`${H}X-A: 1\x012\r\n`), 400],
  ['DEL in value', withHeaders(`${H}X-A: 1\x7f\r\n`), 400],
  ['escape char in value', withHeaders(`${H}X-A: \x1b[31m\r\n`), 400],
  ['NUL in name', withHeaders(`${H}X\x00A: 1\r\n`), 400],
  ['empty name', withHeaders(`${H}: 1\r\n`), 400],
  ['@ in name', withHeaders(`${H}X@Y: 1\r\n`), 400],
  ['parenthesis in name', withHeaders(`${H}X(Y): 1\r\n`), 400],
  ['non-ASCII in name', withHeaders(`${H}X\xe9: 1\r\n`), 400],
  ['line without colon', withHeaders(`${H}Garbage\r\n`), 400],
  ['bare LF ending a field', `GET / HTTP/1.1\r\nHost: a\n\r\n`, 400],
  ['bare LF ending the head', `GET / HTTP/1.1\r\nHost: a\r\n\n`, 400],
  ['missing Host in HTTP/1.1', withHeaders(''), 400],
  ['duplicate Host', withHeaders(`${H}Host: b\r\n`), 400],
  ['duplicate Host in HTTP/1.0', `GET / HTTP/1.0\r\n${H}${H}\r\n`, 400],
  ['space inside Host', withHeaders('Host: a b\r\n'), 400],
  ['slash in Host', withHeaders('Host: a/b\r\n'), 400],
  ['userinfo in Host', withHeaders('Host: user@a\r\n'), 400],
  ['query in Host', withHeaders('Host: a?b\r\n'), 400],
  ['too many header fields', withHeaders(`${H}${'X-A: 1\r\n'.repeat(200)}`), 431],
  ['head too large', withHeaders(`${H}X-Big: ${'b'.repeat(70 * 1024)}\r\n`), 431],
  // framing and smuggling
  [
    'duplicate Content-Length, same value',
    post('Content-Length: 1\r\nContent-Length: 1\r\n', 'a'),
    400,
  ],
  ['conflicting Content-Length', post('Content-Length: 1\r\nContent-Length: 2\r\n', 'ab'), 400],
  ['Content-Length list', post('Content-Length: 1, 1\r\n', 'a'), 400],
  ['Content-Length with plus sign', post('Content-Length: +1\r\n', 'a'), 400],
  ['negative Content-Length', post('Content-Length: -1\r\n', 'a'), 400],
  ['hex Content-Length', post('Content-Length: 0x1\r\n', 'a'), 400],
  ['empty Content-Length', post('Content-Length: \r\n', ''), 400],
  ['space inside Content-Length', post('Content-Length: 1 0\r\n', 'a'), 400],
  ['16-digit Content-Length', post('Content-Length: 1000000000000000\r\n', ''), 400],
  [
    'Content-Length then Transfer-Encoding',
    post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    400,
  ],
  [
    'Transfer-Encoding then Content-Length',
    post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '0\r\n\r\n'),
    400,
  ],
  ['Transfer-Encoding gzip only', post('Transfer-Encoding: gzip\r\n', 'abc'), 400],
  ['chunked not final', post('Transfer-Encoding: chunked, gzip\r\n', '0\r\n\r\n'), 400],
  ['chunked twice', post('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), 400],
  [
    'chunked then gzip in two fields',
    post('Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n', '0\r\n\r\n'),
    400,
  ],
  [
    'Transfer-Encoding in HTTP/1.0',
    `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  ['empty Transfer-Encoding', post('Transfer-Encoding: \r\n', ''), 400],
  ['chunked with parameter', post('Transfer-Encoding: chunked;q=1\r\n', '0\r\n\r\n'), 400],
  ['xchunked', post('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n'), 400],
  [
    'chunked with a comma-led list element',
    post('Transfer-Encoding: ,chunked\r\n', '0\r\n\r\n'),
    400,
  ],
  ['unsupported Expect', post('Expect: 200-ok\r\nContent-Length: 1\r\n', 'a'), 417],
  ['Content-Length over the body limit', post('Content-Length: 2000000\r\n', ''), 413],
  // chunked bodies
  ['non-hex chunk size', chunked('zz\r\nabc\r\n0\r\n\r\n'), 400],
  ['empty chunk-size line', chunked('\r\nabc\r\n0\r\n\r\n'), 400],
  ['space before chunk size', chunked(' 3\r\nabc\r\n0\r\n\r\n'), 400],
  ['plus sign on chunk size', chunked('+3\r\nabc\r\n0\r\n\r\n'), 400],
  ['0x prefix on chunk size', chunked('0x3\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk size overflow', chunked('fffffffffffffff\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk-size line too long', chunked(`3;${'e'.repeat(5000)}\r\nabc\r\n0\r\n\r\n`), 400],
  ['empty chunk-extension name', chunked('3;\r\nabc\r\n0\r\n\r\n'), 400],
  ['control char in chunk extension', chunked('3;a=b\x01\r\nabc\r\n0\r\n\r\n'), 400],
  ['unterminated quoted extension', chunked('3;a="b\r\nabc\r\n0\r\n\r\n'), 400],
  ['bare LF after chunk size', chunked('3\nabc\r\n0\r\n\r\n'), 400],
  ['chunk longer than its size', chunked('3\r\nabcd\r\n0\r\n\r\n'), 400],
  ['missing CRLF after chunk data', chunked('3\r\nabc0\r\n\r\n'), 400],
  ['bare LF after chunk data', chunked('3\r\nabc\n0\r\n\r\n'), 400],
  ['obs-fold in trailers', chunked('3\r\nabc\r\n0\r\nX-T: 1\r\n 2\r\n\r\n'), 400],
  ['space before colon in trailers', chunked('3\r\nabc\r\n0\r\nX-T : 1\r\n\r\n'), 400],
  ['NUL in trailer value', chunked('3\r\nabc\r\n0\r\nX-T: \x00\r\n\r\n'), 400],
];

/** Requests that look unusual but are valid: the positive controls of the table. */
const VALID: [string, string, string][] = [
  ['blank line before the request line', `\r\nGET / HTTP/1.1\r\n${H}\r\n`, 'GET / 0'],
  [
    'chunk extensions, token and quoted',
    chunked('3;a=b;c="d \\" e"\r\nabc\r\n0;f\r\n\r\n'),
    'POST / 3',
  ],
  ['BWS around chunk extensions', chunked('3 ; a = b\r\nabc\r\n0\r\n\r\n'), 'POST / 3'],
  ['upper-case hex chunk size', chunked('A\r\n0123456789\r\n0\r\n\r\n'), 'POST / 10'],
  ['trailers', chunked('3\r\nabc\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n'), 'POST / 3'],
  ['absolute-form target', get('GET http://a/x?y HTTP/1.1'), 'GET http://a/x?y 0'],
  ['asterisk for OPTIONS', get('OPTIONS * HTTP/1.1'), 'OPTIONS * 0'],
  // A 2xx to CONNECT starts a tunnel: the head carries no body.
  ['authority-form for CONNECT', get('CONNECT a:443 HTTP/1.1'), '\r\n\r\n'],
  ['HTTP/1.0 without Host', 'GET / HTTP/1.0\r\n\r\n', 'GET / 0'],
  ['IPv6 Host with port', `GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n`, 'GET / 0'],
  ['empty Host', `GET / HTTP/1.1\r\nHost:\r\n\r\n`, 'GET / 0'],
  ['obs-text in a value', withHeaders(`${H}X-A: caf\xe9\r\n`), 'GET / 0'],
  ['empty value and OWS', withHeaders(`${H}X-A:\r\nX-B: \t 1 \t\r\n`), 'GET / 0'],
  [
    'Transfer-Encoding gzip, chunked',
    post('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'),
    'POST / 0',
  ],
];

describe('malformed requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startApp(
      new HttpServer(
        new ServeHttpApp(async (s) => {
          await echoHandler(s as never);
          return undefined;
        }),
        { h1: { maxRequestBodyBytes: 1024 * 1024 } },
      ),
    );
  });
  afterAll(() => server.close());

  it('has at least 60 malformed cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES)('%s -> %s and close', async (_name, raw, status) => {
    // A valid request after the bad one must never be answered: the connection is closed.
    const { text, closed } = await rawExchange(
      server.port,
      Buffer.from(`${raw}${get('GET /after HTTP/1.1')}`, 'latin1'),
    );
    expect(statuses(text)).toEqual([status]);
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(text).not.toContain('/after');
    expect(closed).toBe(true);
  });

  it.each(VALID)('accepts %s', async (_name, raw, body) => {
    const { text } = await rawExchange(server.port, Buffer.from(raw, 'latin1'), { waitMs: 300 });
    expect(statuses(text)).toEqual([200]);
    expect(text.endsWith(body)).toBe(true);
  });
});
