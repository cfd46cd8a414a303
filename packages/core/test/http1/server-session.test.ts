/**
 * H1ServerSession over real sockets: keep-alive and pipelining on one
 * connection, HTTP/1.0 semantics, Connection: close both ways, Expect:
 * 100-continue, bodiless responses (HEAD, 204, 304), chunked bodies with
 * trailers both ways, Upgrade to a raw tunnel, and the Date header.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HeaderList, ResponseHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpServer } from '../../src/apps/http-app.ts';
import { ServeHttpApp } from '../../src/apps/serve-http.ts';
import type { H1ServerSession } from '../../src/protocols/http/v1/server-session.ts';
import {
  echoHandler,
  type Handler,
  startApp,
  startServer,
  type TestServer,
} from './utils/h1-server.ts';
import { countResponses, RawClient } from './utils/raw-client.ts';

// Small writes go straight to the socket's fd (direct-write.ts): counted here, passed through.
const fdWrites = vi.hoisted(() => ({ fd: -1, lengths: [] as number[] }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const writeSync = ((fd: number, ...rest: never[]) => {
    if (fd === fdWrites.fd) fdWrites.lengths.push(rest[2] as unknown as number);
    return (fs.writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler = echoHandler, options = {}): Promise<TestServer> {
  server = await startServer(handler, options);
  return server;
}

function reply(
  s: H1ServerSession,
  status: number,
  body?: string,
  headers: Record<string, string> = {},
): void {
  const resp = ResponseHeader.build(status);
  for (const [k, v] of Object.entries(headers)) resp.appendHeader(k, v);
  s.writeResponseHeader(resp);
  if (body !== undefined) s.writeBody(Buffer.from(body));
}

describe('keep-alive and pipelining', () => {
  it('serves sequential requests on one connection', async () => {
    const { port, sessions } = await serve();
    await using c = await RawClient.connect(port);
    for (let i = 0; i < 5; i++) {
      c.write(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      await c.waitFor((t) => t.endsWith(`GET /r${i} 0`));
    }
    expect(countResponses(c.text)).toBe(5);
    expect(c.closed).toBe(false);
    expect(sessions.length).toBe(1);
    expect(sessions[0]!.requestCount).toBe(5);
  });

  it('answers pipelined requests in order, bodies included', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write(
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'GET /4 HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    const text = await c.waitFor((t) => countResponses(t) === 4 && t.endsWith('GET /4 0'));
    const bodies = text
      .split(/\r\n\r\n/)
      .slice(1)
      .map((s) => s.replace(/HTTP\/1\.1[\s\S]*$/, ''));
    expect(bodies).toEqual(['GET /1 0', 'POST /2 5', 'POST /3 3', 'GET /4 0']);
  });

  it('discards an unread request body to reach the next pipelined request', async () => {
    const { port } = await serve(async (s) => reply(s, 200, 'ok', { 'Content-Length': '2' }));
    await using c = await RawClient.connect(port);
    c.write(
      'POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789' +
        'GET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    await c.waitFor((t) => countResponses(t) === 2);
    expect(c.closed).toBe(false);
  });

  it('closes instead of draining a large unread body', async () => {
    const { port } = await serve(async (s) => reply(s, 200, 'ok', { 'Content-Length': '2' }), {
      maxDrainBytes: 1024,
    });
    await using c = await RawClient.connect(port);
    c.write(`POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(4096)}`);
    await c.waitClosed();
    expect(countResponses(c.text)).toBe(1);
  });
});

describe('persistence', () => {
  it('closes after an HTTP/1.0 request without keep-alive', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.0\r\n\r\n');
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.text).toContain('\r\nConnection: close\r\n');
  });

  it('keeps an HTTP/1.0 connection alive on request and says so', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitFor((t) => t.endsWith('GET /a 0'));
    expect(c.text).toContain('\r\nConnection: keep-alive\r\n');
    c.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitFor((t) => t.endsWith('GET /b 0'));
    expect(c.closed).toBe(false);
  });

  it('uses close-delimited bodies for HTTP/1.0 clients when no length is known', async () => {
    const { port } = await serve(async (s) => {
      s.writeResponseHeader(ResponseHeader.build(200));
      s.writeBody(Buffer.from('streamed'));
    });
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitClosed();
    expect(c.text).not.toMatch(/transfer-encoding/i);
    expect(c.text.endsWith('\r\n\r\nstreamed')).toBe(true);
  });

  it('never sends chunks to an HTTP/1.0 client, even when the response asks for them', async () => {
    const { port } = await serve(async (s) => {
      reply(s, 200, 'abc', { 'Transfer-Encoding': 'chunked' });
    });
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitClosed();
    expect(c.text).not.toMatch(/transfer-encoding/i);
    expect(c.text.endsWith('\r\n\r\nabc')).toBe(true);
  });

  it('honours Connection: close from the client', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write(
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    await c.waitClosed();
    expect(countResponses(c.text)).toBe(1);
    expect(c.text).toContain('\r\nConnection: close\r\n');
  });

  it('closes when the app turns keep-alive off', async () => {
    const { port } = await serve(async (s) => {
      s.setKeepalive(null);
      reply(s, 200, 'x', { 'Content-Length': '1' });
    });
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitClosed();
    expect(c.text).toContain('\r\nConnection: close\r\n');
  });

  it('closes when the response says Connection: close', async () => {
    const { port } = await serve(async (s) =>
      reply(s, 200, 'x', { 'Content-Length': '1', Connection: 'close' }),
    );
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitClosed();
    expect(c.text.match(/Connection: close/g)?.length).toBe(1);
  });
});

describe('message bodies', () => {
  it('sends 100 Continue when the body is first read', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
    c.write('body');
    await c.waitFor((t) => t.endsWith('POST /up 4'));
  });

  it('sends no 100 Continue when the app answers without reading the body', async () => {
    const { port } = await serve(async (s) => {
      s.setKeepalive(null);
      reply(s, 413, '', { 'Content-Length': '0' });
    });
    await using c = await RawClient.connect(port);
    c.write('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.text).not.toContain('100 Continue');
  });

  it('writes no body after HEAD, 204 and 304 and keeps framing for the next request', async () => {
    const { port } = await serve(async (s) => {
      const t = s.requestHeader!.target;
      const status = t === '/204' ? 204 : t === '/304' ? 304 : 200;
      const resp = ResponseHeader.build(status);
      if (status === 200) resp.insertHeader('Content-Length', 5);
      s.writeResponseHeader(resp);
      if (status === 200) s.writeBody(Buffer.from('hello'));
    });
    await using c = await RawClient.connect(port);
    c.write(
      'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\n' +
        'GET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    const text = await c.waitFor((t) => countResponses(t) === 4 && t.endsWith('hello'));
    expect(text.match(/hello/g)?.length).toBe(1);
    expect(text).not.toMatch(/transfer-encoding/i);
    expect(text).toContain('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n');
  });

  it('chunks a response without a length and reads request trailers', async () => {
    let trailers: HeaderList | undefined;
    const { port } = await serve(async (s) => {
      while ((await s.readBodyChunk()) !== null) {}
      trailers = s.requestTrailers;
      s.writeResponseHeader(ResponseHeader.build(200));
      s.writeBody(Buffer.from('abc'));
      s.writeBody(Buffer.from('x'.repeat(20_000)));
      const out = new HeaderList();
      out.appendHeader('X-Checksum', '42');
      await s.finishResponse(out);
    });
    await using c = await RawClient.connect(port);
    c.write(
      'POST / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Sum: 7\r\n\r\n',
    );
    // Trailers go to a client that accepts them (TE: trailers), and only then.
    const text = await c.waitFor((t) => t.endsWith('0\r\nX-Checksum: 42\r\n\r\n'));
    expect(text).toContain('Transfer-Encoding: chunked\r\n');
    expect(text).toContain(`\r\n\r\n3\r\nabc\r\n4e20\r\n${'x'.repeat(20_000)}\r\n0\r\n`);
    expect(trailers?.getHeader('x-sum')).toBe('7');
  });

  it('streams a request body through a pausing sink', async () => {
    const seen: number[] = [];
    const { port } = await serve(async (s) => {
      await new Promise<void>((resolve, reject) => {
        s.readBodyInto({
          onData(chunk) {
            seen.push(chunk.length);
            setTimeout(() => s.resumeBody(), 1);
            return false;
          },
          onEnd: () => resolve(),
          onError: reject,
        });
      });
      reply(s, 200, String(seen.reduce((a, b) => a + b, 0)), { 'Content-Length': '6' });
    });
    await using c = await RawClient.connect(port);
    c.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n');
    for (let i = 0; i < 30; i++) c.write(Buffer.alloc(10_000, 0x61));
    await c.waitFor((t) => t.endsWith('300000'));
    expect(seen.length).toBeGreaterThan(1);
  });
});

describe('writeResponse', () => {
  it('writes head and body in one write and finishes, keeping the connection', async () => {
    const writes: number[] = [];
    const { port } = await serve(async (s) => {
      const socket = s.socket;
      const write = socket.write.bind(socket);
      socket.write = ((chunk: Buffer, ...rest: never[]) => {
        writes.push(chunk.length);
        return write(chunk, ...rest);
      }) as typeof socket.write;
      fdWrites.fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
      fdWrites.lengths = [];
      const resp = ResponseHeader.build(200);
      resp.insertHeader('Content-Length', 5);
      s.writeResponse(resp, Buffer.from('hello'));
      expect(s.responseFinished).toBe(true);
      writes.push(...fdWrites.lengths);
      fdWrites.fd = -1;
      socket.write = write;
    });
    await using c = await RawClient.connect(port);
    c.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitFor((t) => countResponses(t) === 2 && t.endsWith('hello'));
    expect(writes.length).toBe(2); // one per response (straight to the fd or queued)
    expect(c.closed).toBe(false);
  });

  it('closes after a response that is shorter than its Content-Length', async () => {
    const { port } = await serve(async (s) => {
      const resp = ResponseHeader.build(200);
      resp.insertHeader('Content-Length', 10);
      s.writeResponse(resp, Buffer.from('short'));
    });
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitClosed();
    expect(c.text.endsWith('short')).toBe(true);
  });
});

describe('body integrity', () => {
  it('keeps chunks a sink holds on to intact while later reads arrive (pipelined, chunked)', async () => {
    const bodies = [randomBytes(1_500_000), randomBytes(70_000), randomBytes(3)];
    const { port } = await serve(async (s) => {
      const kept: Buffer[] = [];
      for (;;) {
        const c = await s.readBodyChunk();
        if (c === null) break;
        kept.push(c); // held past the read that carried it
      }
      const digest = createHash('sha256').update(Buffer.concat(kept)).digest('hex');
      reply(s, 200, digest, { 'Content-Length': String(digest.length) });
    });
    await using c = await RawClient.connect(port);
    const wire: Buffer[] = [];
    for (const [i, body] of bodies.entries()) {
      if (i === 1) {
        wire.push(
          Buffer.from(`POST /${i} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`),
        );
        for (let o = 0; o < body.length; o += 7_000) {
          const part = body.subarray(o, o + 7_000);
          wire.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
        }
        wire.push(Buffer.from('0\r\n\r\n'));
      } else {
        wire.push(
          Buffer.from(`POST /${i} HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`),
        );
        wire.push(body);
      }
    }
    c.write(Buffer.concat(wire));
    const digests = bodies.map((b) => createHash('sha256').update(b).digest('hex'));
    await c.waitFor((t) => t.endsWith(digests[2]!), 10_000);
    for (const d of digests) expect(c.text).toContain(d);
  });
});

describe('body limits', () => {
  it('answers 413 when a chunked body grows past maxRequestBodyBytes', async () => {
    const app = new HttpServer(
      new ServeHttpApp(async (s) => {
        while ((await s.readBodyChunk()) !== null) {}
        return { header: ResponseHeader.build(200), body: 'accepted' };
      }),
      { h1: { maxRequestBodyBytes: 1000 } },
    );
    server = await startApp(app);
    await using c = await RawClient.connect(server.port);
    c.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    c.write(`3e8\r\n${'a'.repeat(1000)}\r\n1\r\nb\r\n0\r\n\r\n`);
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.text).not.toContain('accepted');
  });
});

describe('upgrade and Date', () => {
  it('turns into a raw tunnel after 101, keeping bytes sent early', async () => {
    const { port } = await serve(async (s) => {
      expect(s.isUpgradeRequest).toBe(true);
      reply(s, 101, undefined, { Upgrade: 'echo', Connection: 'upgrade' });
      const { socket, head } = s.upgradeToTunnel();
      socket.write(Buffer.concat([Buffer.from('early:'), head]));
      socket.on('data', (d) => socket.write(d));
      socket.resume();
      await new Promise((r) => socket.once('close', r));
    });
    await using c = await RawClient.connect(port);
    c.write('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nfirst');
    await c.waitFor((t) => t.endsWith('early:first'));
    expect(c.text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(c.text).not.toMatch(/Connection: close/);
    c.write('second');
    await c.waitFor((t) => t.endsWith('second'));
  });

  it('adds one cached, well-formed Date header', async () => {
    const { port } = await serve();
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const text = await c.waitFor((t) => t.endsWith('GET / 0'));
    const date = /\r\nDate: ([^\r]+)\r\n/.exec(text)?.[1] ?? '';
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5_000);
  });

  it('reports the digest and a request summary', async () => {
    let summary = '';
    const { port, sessions } = await serve(async (s) => {
      summary = s.requestSummary();
      reply(s, 200, '', { 'Content-Length': '0' });
    });
    await using c = await RawClient.connect(port);
    c.write('GET /x?y HTTP/1.1\r\nHost: example.com\r\n\r\n');
    await c.waitFor((t) => countResponses(t) === 1);
    expect(summary).toBe('GET /x?y, Host: example.com');
    expect(sessions[0]!.digest.peerAddr).toMatchObject({ kind: 'inet', address: '127.0.0.1' });
  });
});

describe('idle connections', () => {
  it('share their socket listeners: a connection holds no closure of its own for them', async () => {
    const { port, sessions } = await serve();
    await using a = await RawClient.connect(port);
    await using b = await RawClient.connect(port);
    a.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
    b.write('GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await a.waitFor((t) => countResponses(t) === 1);
    await b.waitFor((t) => countResponses(t) === 1);
    expect(sessions).toHaveLength(2);
    const [sa, sb] = sessions.map((s) => s.socket);
    for (const event of ['end', 'error', 'close', 'drain'] as const) {
      const ours = sa!.listeners(event).filter((l) => sb!.listeners(event).includes(l));
      expect(ours.length, event).toBeGreaterThan(0);
    }
  });
});

describe('head parsers shared between connections', () => {
  it('a head cut in two keeps its parser while other connections read theirs', async () => {
    const { port } = await serve();
    await using a = await RawClient.connect(port);
    await using b = await RawClient.connect(port);
    a.write('GET /first-half-of-a');
    // B's whole requests are read (a parser taken and given back each time) while A waits.
    b.write('GET /b1 HTTP/1.1\r\nHost: b\r\n\r\nGET /b2 HTTP/1.1\r\nHost: b\r\n\r\n');
    await b.waitFor((t) => countResponses(t) === 2 && t.includes('GET /b2 0'));
    a.write('-and-the-rest HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n');
    await a.waitFor((t) => countResponses(t) === 1 && t.endsWith('0'));
    expect(a.text).toContain('GET /first-half-of-a-and-the-rest 0');
    b.write('GET /b3 HTTP/1.1\r\nHost: b\r\n\r\n');
    await b.waitFor((t) => countResponses(t) === 3 && t.endsWith('GET /b3 0'));
    expect(b.text).toContain('GET /b1 0');
  });
});
