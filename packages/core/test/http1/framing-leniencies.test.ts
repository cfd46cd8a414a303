/**
 * The three parser leniencies a differential fault run found, refused over
 * real sockets: Unicode whitespace around framing values (JavaScript's
 * trim() strips 0xA0; only SP and HTAB are OWS in HTTP), a chunk size
 * followed by whitespace and no ';', and an authority-form target on a
 * method other than CONNECT. Requests get 400; responses are malformed.
 */
import net from 'node:net';
import { ErrorSource, ErrorType, type PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/apps/http-app.ts';
import { ServeHttpApp } from '../../src/apps/serve-http.ts';
import { H1ClientSession } from '../../src/protocols/http/v1/client-session.ts';
import {
  echoHandler,
  rawExchange,
  startApp,
  statuses,
  type TestServer,
} from './utils/h1-server.ts';

/**
 * Whitespace that is not OWS, as wire bytes (latin1 text): what `trim()`,
 * `\s` or a Unicode-aware parser may strip, and the C0 separators.
 */
const NOT_OWS: string[] = [
  '\xa0', // NBSP: the one trim() strips from a latin1 header value
  '\x85', // NEL
  '\x0b',
  '\x0c',
  '\x1c',
  '\x1d',
  '\x1e',
  '\x1f',
  '\x00',
  ...[0x1680, 0x2000, 0x2005, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff].map((cp) =>
    Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1'),
  ),
];

const notOws = fc.constantFrom(...NOT_OWS);
const ows = fc.stringMatching(/^[ \t]{0,2}$/);
/** Whitespace around a value: at least one non-OWS piece, mixed with optional SP/HTAB. */
const badPad = fc
  .tuple(ows, notOws, ows, fc.boolean())
  .map(([a, w, b, before]) => ({ before, text: `${a}${w}${b}` }));

function around(value: string, pad: { before: boolean; text: string }): string {
  return pad.before ? `${pad.text}${value}` : `${value}${pad.text}`;
}

const H = 'Host: a\r\n';

describe('framing leniencies in requests', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startApp(
      new HttpServer(
        new ServeHttpApp(async (s) => {
          await echoHandler(s as never);
          return undefined;
        }),
      ),
    );
  });
  afterAll(() => server.close());

  async function statusOf(raw: string): Promise<number[]> {
    const { text } = await rawExchange(server.port, Buffer.from(raw, 'latin1'), { waitMs: 1000 });
    return statuses(text);
  }

  it.each([
    [
      'NBSP after chunked',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n`,
    ],
    [
      'NBSP before chunked',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \xa0chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      'NBSP inside a coding list',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip,\xa0chunked\r\n\r\n0\r\n\r\n`,
    ],
    ['NBSP after a Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 3\xa0\r\n\r\nabc`],
    ['NBSP before a Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: \xa03\r\n\r\nabc`],
    [
      'chunk size followed by spaces and no ;',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\na \r\n0123456789\r\n0\r\n\r\n`,
    ],
    [
      'chunk size followed by a tab and no ;',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\t\r\nabc\r\n0\r\n\r\n`,
    ],
    [
      'whitespace after a chunk extension value',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b \r\nabc\r\n0\r\n\r\n`,
    ],
    ['authority-form target on GET', `GET host:80 HTTP/1.1\r\n${H}\r\n`],
    [
      'authority-form target on POST',
      `POST example.com:443 HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    ],
    ['absolute-form with a non-http scheme', `GET foo:bar HTTP/1.1\r\n${H}\r\n`],
    ['absolute-form without an authority', `GET http:///x HTTP/1.1\r\n${H}\r\n`],
  ])('refuses %s with 400', async (_name, raw) => {
    expect(await statusOf(raw)).toEqual([400]);
  });

  it('still accepts BWS before a chunk extension and OWS around framing values', async () => {
    // Connection: close, so each exchange ends when the answer is complete.
    const C = 'Connection: close\r\n';
    const raw =
      `POST / HTTP/1.1\r\n${H}${C}Transfer-Encoding: \t chunked \t\r\n\r\n` +
      `3 \t; a = b\r\nabc\r\n0\r\n\r\n`;
    expect(await statusOf(raw)).toEqual([200]);
    expect(await statusOf(`POST / HTTP/1.1\r\n${H}${C}Content-Length:  3 \r\n\r\nabc`)).toEqual([
      200,
    ]);
    expect(await statusOf(`GET HTTP://a:80/x HTTP/1.1\r\n${H}${C}\r\n`)).toEqual([200]);
  });

  it('refuses whitespace other than SP/HTAB around Transfer-Encoding (property)', async () => {
    await fc.assert(
      fc.asyncProperty(badPad, async (pad) => {
        const te = around('chunked', pad);
        const raw = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`;
        expect(await statusOf(raw)).toEqual([400]);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses whitespace other than SP/HTAB around Content-Length (property)', async () => {
    await fc.assert(
      fc.asyncProperty(badPad, fc.integer({ min: 0, max: 99 }), async (pad, n) => {
        const cl = around(String(n), pad);
        const raw = `POST / HTTP/1.1\r\n${H}Content-Length: ${cl}\r\n\r\n${'x'.repeat(n)}`;
        expect(await statusOf(raw)).toEqual([400]);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses whitespace other than SP/HTAB around a chunk size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(badPad, fc.integer({ min: 1, max: 40 }), async (pad, n) => {
        const size = around(n.toString(16), pad);
        const raw =
          `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` +
          `${size}\r\n${'x'.repeat(n)}\r\n0\r\n\r\n`;
        expect(await statusOf(raw)).toEqual([400]);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a chunk size followed by any SP/HTAB run and no ; (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[ \t]{1,8}$/), async (ws) => {
        const raw =
          `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` +
          `3${ws}\r\nabc\r\n0\r\n\r\n`;
        expect(await statusOf(raw)).toEqual([400]);
      }),
      { numRuns: 20 },
    );
  });
});

describe('framing leniencies in responses (malformed upstream response)', () => {
  /** One request to an upstream that answers `raw`; resolves with how reading failed, or 'ok'. */
  async function readResponse(raw: string): Promise<PingoraError | 'ok'> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end(Buffer.from(raw, 'latin1')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const session = new H1ClientSession(socket, { readTimeoutMs: 2_000 });
    try {
      const req = RequestHeader.build('GET', '/');
      req.appendHeader('Host', 'up');
      session.writeRequestHeader(req);
      await session.readResponseHeader();
      while ((await session.readBodyChunk()) !== null) {}
      return 'ok';
    } catch (err) {
      return err as PingoraError;
    } finally {
      session.destroy();
      await new Promise((r) => server.close(r));
    }
  }

  function expectMalformed(result: PingoraError | 'ok'): void {
    expect(result).not.toBe('ok');
    const e = result as PingoraError;
    expect(e.type).toBe(ErrorType.InvalidHTTPHeader);
    expect(e.source).toBe(ErrorSource.Upstream);
  }

  it('refuses a chunk size followed by spaces and no ;', async () => {
    expectMalformed(
      await readResponse(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na \r\n0123456789\r\n0\r\n\r\n',
      ),
    );
  });

  it('refuses whitespace other than SP/HTAB around framing values (property)', async () => {
    const framing = fc.constantFrom('te', 'cl', 'size');
    await fc.assert(
      fc.asyncProperty(framing, badPad, async (which, pad) => {
        const raw =
          which === 'te'
            ? `HTTP/1.1 200 OK\r\nTransfer-Encoding: ${around('chunked', pad)}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`
            : which === 'cl'
              ? `HTTP/1.1 200 OK\r\nContent-Length: ${around('3', pad)}\r\n\r\nabc`
              : `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${around('3', pad)}\r\nabc\r\n0\r\n\r\n`;
        expectMalformed(await readResponse(raw));
      }),
      { numRuns: 40 },
    );
  });
});
