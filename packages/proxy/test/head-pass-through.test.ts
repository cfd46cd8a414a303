/**
 * Heads that no filter changes are forwarded as they were received, both
 * ways: every field line byte for byte (case, whitespace, obs-text), with
 * only the hop-by-hop edits applied; a filter's change always reaches the
 * wire; and keep-alive requests on one connection never see a field of the
 * request or response before them.
 */
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { rawClient } from './utils/raw-client.ts';
import { startRawOrigin } from './utils/raw-origin.ts';

function toOrigin(address: string, extra: Partial<ProxyHttp<null>> = {}): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address), ...extra };
}

/** The field lines of a head (between the start line and the blank line), each with its CRLF. */
function fieldLines(message: string): string {
  const end = message.indexOf('\r\n\r\n');
  return message.slice(message.indexOf('\r\n') + 2, end + 2);
}

// Valid but unusual formatting that a re-serialiser would normalise.
const ODD_RESPONSE_FIELDS =
  'server:  Origin/1.0  \r\n' +
  'Date: Thu, 03 Dec 2026 10:00:00 GMT\r\n' +
  'X-Tabs:\tone\t two \t\r\n' +
  'Connection: keep-alive, X-Hop\r\n' +
  'x-OBS: caf\xe9\r\n' +
  'X-Hop: dropped\r\n' +
  'Keep-Alive: timeout=5\r\n' +
  'content-length:2\r\n';
const ODD_RESPONSE_FORWARDED =
  'server:  Origin/1.0  \r\n' +
  'Date: Thu, 03 Dec 2026 10:00:00 GMT\r\n' +
  'X-Tabs:\tone\t two \t\r\n' +
  'x-OBS: caf\xe9\r\n' +
  'content-length:2\r\n';

const ODD_REQUEST_FIELDS =
  'host:example.test\r\n' +
  'User-Agent:   raw/1   \r\n' +
  'Connection: keep-alive\r\n' +
  'X-Tabs:\ta\tb\t\r\n' +
  'Keep-Alive: 300\r\n' +
  'x-obs:\xe9t\xe9\r\n';
const ODD_REQUEST_FORWARDED =
  'host:example.test\r\n' +
  'User-Agent:   raw/1   \r\n' +
  'X-Tabs:\ta\tb\t\r\n' +
  'x-obs:\xe9t\xe9\r\n';

describe('unchanged heads go out as received, minus the hop-by-hop fields', () => {
  it('response head: byte-identical field lines', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write(`HTTP/1.1 200 OK\r\n${ODD_RESPONSE_FIELDS}\r\nhi`, 'latin1'),
    );
    await using p = await startProxy(toOrigin(origin.address));
    const c = await rawClient(p.port);
    const resp = await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    c.socket.destroy();
    expect(resp.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(fieldLines(resp)).toBe(ODD_RESPONSE_FORWARDED);
    expect(resp.endsWith('\r\n\r\nhi')).toBe(true);
  });

  it('request head: byte-identical field lines upstream', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write('HTTP/1.1 204 No Content\r\n\r\n'),
    );
    await using p = await startProxy(toOrigin(origin.address));
    const c = await rawClient(p.port);
    await c.send(`GET /p?q=1 HTTP/1.1\r\n${ODD_REQUEST_FIELDS}\r\n`);
    c.socket.destroy();
    expect(origin.heads[0]).toBe(`GET /p?q=1 HTTP/1.1\r\n${ODD_REQUEST_FORWARDED}\r\n`);
  });
});

describe('informational heads', () => {
  it('a 103 from an HTTP/1 origin reaches the client before the final head, as received', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write(
        'HTTP/1.1 103 Early Hints\r\nLink:  </a.css>; rel=preload\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ),
    );
    await using p = await startProxy(toOrigin(origin.address));
    const c = await rawClient(p.port);
    const hints = await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const final = await c.send('');
    c.socket.destroy();
    expect(hints).toBe('HTTP/1.1 103 Early Hints\r\nLink:  </a.css>; rel=preload\r\n\r\n');
    expect(final.startsWith('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n')).toBe(true);
    expect(final.endsWith('\r\n\r\nok')).toBe(true);
  });
});

describe("a filter's change always reaches the wire", () => {
  it('request: a changed, a removed and an added field upstream; the rest raw', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write('HTTP/1.1 204 No Content\r\n\r\n'),
    );
    await using p = await startProxy(
      toOrigin(origin.address, {
        upstreamRequestFilter(_s, req) {
          req.insertHeader('user-agent', 'proxy/2');
          req.removeHeader('X-Tabs');
          req.appendHeader('X-Added', 'yes');
        },
      }),
    );
    const c = await rawClient(p.port);
    await c.send(`GET / HTTP/1.1\r\n${ODD_REQUEST_FIELDS}\r\n`);
    c.socket.destroy();
    expect(origin.heads[0]).toBe(
      'GET / HTTP/1.1\r\nhost:example.test\r\nuser-agent: proxy/2\r\nx-obs:\xe9t\xe9\r\nX-Added: yes\r\n\r\n',
    );
  });

  it('response: changes from upstreamResponseFilter and responseFilter both reach the client', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write(`HTTP/1.1 200 OK\r\n${ODD_RESPONSE_FIELDS}\r\nhi`, 'latin1'),
    );
    await using p = await startProxy(
      toOrigin(origin.address, {
        upstreamResponseFilter(_s, resp) {
          resp.insertHeader('Server', 'edge');
        },
        responseFilter(_s, resp) {
          resp.removeHeader('x-obs');
          resp.appendHeader('X-Cache', 'MISS');
        },
      }),
    );
    const c = await rawClient(p.port);
    const resp = await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    c.socket.destroy();
    expect(fieldLines(resp)).toBe(
      'Server: edge\r\n' +
        'Date: Thu, 03 Dec 2026 10:00:00 GMT\r\n' +
        'X-Tabs:\tone\t two \t\r\n' +
        'content-length:2\r\n' +
        'X-Cache: MISS\r\n',
    );
  });

  it('a status or reason changed by a filter goes out too', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write('HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n'),
    );
    await using p = await startProxy(
      toOrigin(origin.address, {
        responseFilter(_s, resp) {
          resp.status = 203;
        },
      }),
    );
    const c = await rawClient(p.port);
    const resp = await c.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    c.socket.destroy();
    expect(resp.startsWith('HTTP/1.1 203 Fine\r\nContent-Length: 0\r\n')).toBe(true);
  });
});

describe('keep-alive requests on one connection share nothing', () => {
  it('a second, smaller head carries none of the first one’s fields, either way', async () => {
    const responses = [
      `HTTP/1.1 200 OK\r\n${ODD_RESPONSE_FIELDS}\r\nhi`,
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
      'HTTP/1.1 404 Not Found\r\nX-Third: 3\r\nContent-Length: 0\r\n\r\n',
    ];
    await using origin = await startRawOrigin((socket, _head, i) =>
      socket.write(responses[i] ?? 'HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n', 'latin1'),
    );
    const seen: string[] = [];
    await using p = await startProxy(
      toOrigin(origin.address, {
        upstreamRequestFilter(s, req) {
          // Only the first request is changed: nothing of it may stick to the next ones.
          if (s.reqHeader.target === '/1') req.appendHeader('X-Only-First', '1');
          seen.push(`${req.target} ${req.headerCount}`);
        },
      }),
    );
    const c = await rawClient(p.port);
    const first = await c.send(`GET /1 HTTP/1.1\r\n${ODD_REQUEST_FIELDS}\r\n`);
    const second = await c.send('GET /2 HTTP/1.1\r\nHost: b\r\n\r\n');
    const third = await c.send('GET /3 HTTP/1.1\r\nHost: c\r\nX-3: y\r\n\r\n');
    c.socket.destroy();
    expect(fieldLines(first)).toBe(ODD_RESPONSE_FORWARDED);
    // The server adds the Date an origin left out: the one edit besides hop-by-hop.
    expect(fieldLines(second)).toMatch(/^Content-Length: 1\r\nDate: [^\r]+ GMT\r\n$/);
    expect(second.endsWith('\r\n\r\nx')).toBe(true);
    expect(third.startsWith('HTTP/1.1 404 Not Found\r\nX-Third: 3\r\nContent-Length: 0\r\n')).toBe(
      true,
    );
    expect(origin.heads).toEqual([
      `GET /1 HTTP/1.1\r\n${ODD_REQUEST_FORWARDED}X-Only-First: 1\r\n\r\n`,
      'GET /2 HTTP/1.1\r\nHost: b\r\n\r\n',
      'GET /3 HTTP/1.1\r\nHost: c\r\nX-3: y\r\n\r\n',
    ]);
    expect(seen).toEqual(['/1 5', '/2 1', '/3 2']);
  });
});
