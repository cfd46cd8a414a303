/**
 * H1ClientSession against scripted upstreams on real sockets: framing by
 * length, chunks (with trailers) and close; HEAD/204/304; 1xx handling;
 * response smuggling refused; and the reuse verdict a pool relies on,
 * including the "any response byte received" flag for retries.
 */
import net from 'node:net';
import { ErrorSource, ErrorType, type PingoraError } from '@pingora-ts/error';
import { HeaderList, RequestHeader, type ResponseHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it } from 'vitest';
import { H1ClientSession } from '../../src/protocols/http/v1/client-session.ts';

type Script = (requestText: string, socket: net.Socket) => void;

const servers: net.Server[] = [];
const clients: H1ClientSession[] = [];
const upstreamSockets = new Set<net.Socket>();
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of upstreamSockets) s.destroy();
  upstreamSockets.clear();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An upstream that calls `script` with everything received so far, after every read. */
async function upstream(
  script: Script,
): Promise<{ session: H1ClientSession; received: () => string }> {
  let text = '';
  const server = net.createServer((socket) => {
    upstreamSockets.add(socket);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      script(text, socket);
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const session = new H1ClientSession(socket, { readTimeoutMs: 2_000 });
  clients.push(session);
  return { session, received: () => text };
}

/** Answers each complete bodiless request head with the next raw response. */
function respondWith(...responses: string[]): Script {
  let answered = 0;
  return (text, socket) => {
    const heads = text.split('\r\n\r\n').length - 1;
    while (answered < heads && answered < responses.length)
      socket.write(Buffer.from(responses[answered++]!, 'latin1'));
  };
}

function get(target = '/', extra: Record<string, string> = {}, method = 'GET'): RequestHeader {
  const req = RequestHeader.build(method, target);
  req.appendHeader('Host', 'up');
  for (const [k, v] of Object.entries(extra)) req.appendHeader(k, v);
  return req;
}

async function readAll(s: H1ClientSession): Promise<string> {
  let out = '';
  for (;;) {
    const c = await s.readBodyChunk();
    if (c === null) return out;
    out += c.toString('latin1');
  }
}

async function exchange(s: H1ClientSession, req: RequestHeader): Promise<[ResponseHeader, string]> {
  s.writeRequestHeader(req);
  const resp = await s.readResponseHeader();
  return [resp, await readAll(s)];
}

describe('framing', () => {
  it('reads length-framed responses and reuses the connection', async () => {
    const { session, received } = await upstream(
      respondWith(
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Case: Kept\r\n\r\nhi',
        'HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    const [r1, b1] = await exchange(session, get('/a', { 'X-Req': 'One' }));
    expect([r1.status, b1, r1.headerNames()]).toEqual([200, 'hi', ['Content-Length', 'X-Case']]);
    expect(session.reusable()).toBe(true);
    const [r2, b2] = await exchange(session, get('/b'));
    expect([r2.status, r2.reason, b2]).toEqual([404, 'Nope', '']);
    expect(session.requestCount).toBe(2);
    expect(received()).toBe(
      'GET /a HTTP/1.1\r\nHost: up\r\nX-Req: One\r\n\r\nGET /b HTTP/1.1\r\nHost: up\r\n\r\n',
    );
  });

  it('reads chunked responses with trailers', async () => {
    const { session } = await upstream(
      respondWith(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 9\r\n\r\n',
      ),
    );
    const [, body] = await exchange(session, get());
    expect(body).toBe('abcde');
    expect(session.responseTrailers?.getHeader('x-t')).toBe('9');
    expect(session.reusable()).toBe(true);
  });

  it('reads a close-delimited response to the end and never reuses it', async () => {
    const { session } = await upstream((_t, socket) =>
      socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close'),
    );
    const [, body] = await exchange(session, get());
    expect(body).toBe('until close');
    expect(session.reusable()).toBe(false);
  });

  it('delivers a whole close-delimited body to a reader that pauses past the close', async () => {
    const body = 'z'.repeat(30_000); // under the read high-water mark: all of it is read before the close
    const { session } = await upstream((_t, socket) =>
      socket.end(`HTTP/1.1 200 OK\r\n\r\n${body}`),
    );
    session.writeRequestHeader(get());
    await session.readResponseHeader();
    await new Promise((r) => setTimeout(r, 200)); // the upstream has closed by now
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      session.readBodyInto({
        onData(chunk) {
          got += chunk.length;
          setTimeout(() => session.resumeBody(), 2);
          return false;
        },
        onEnd: () => resolve(),
        onError: reject,
      });
    });
    expect(got).toBe(body.length);
  });

  it('expects no body after HEAD, 204 and 304', async () => {
    const { session } = await upstream(
      respondWith(
        'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n',
        'HTTP/1.1 204 No Content\r\n\r\n',
        'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n',
      ),
    );
    for (const req of [get('/', {}, 'HEAD'), get('/204'), get('/304')]) {
      const [, body] = await exchange(session, req);
      expect(body).toBe('');
      expect(session.reusable()).toBe(true);
    }
  });

  it('consumes 100 Continue and reports 103 Early Hints', async () => {
    const { session } = await upstream(
      respondWith(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
      ),
    );
    const hints: number[] = [];
    session.onInformational = (r) => hints.push(r.status);
    const [resp, body] = await exchange(session, get());
    expect([resp.status, body, hints]).toEqual([200, 'x', [103]]);
  });

  it('frames request bodies by chunks or length', async () => {
    const { session, received } = await upstream((text, socket) => {
      if (text.endsWith('0\r\nX-Done: 1\r\n\r\n'))
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      if (text.endsWith('abcdef'))
        socket.write('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    });
    session.writeRequestHeader(get('/c', { 'Transfer-Encoding': 'chunked' }, 'POST'));
    session.writeBody(Buffer.from('hello'));
    session.writeBody(Buffer.alloc(0));
    const trailers = new HeaderList();
    trailers.appendHeader('X-Done', '1');
    await session.finishRequestBody(trailers);
    expect((await session.readResponseHeader()).status).toBe(200);
    await readAll(session);
    session.writeRequestHeader(get('/l', { 'Content-Length': '6' }, 'PUT'));
    session.writeBody(Buffer.from('abc'));
    expect(() => session.writeBody(Buffer.from('defg'))).toThrow(/Content-Length/);
    session.writeBody(Buffer.from('def'));
    await session.finishRequestBody();
    expect((await session.readResponseHeader()).status).toBe(201);
    await readAll(session);
    expect(session.reusable()).toBe(true);
    expect(received()).toContain('\r\n\r\n5\r\nhello\r\n0\r\nX-Done: 1\r\n\r\nPUT /l HTTP/1.1\r\n');
  });
});

describe('response smuggling and bad framing', () => {
  const bad: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'conflicting Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    ],
    ['Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['bad status code', 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n'],
    ['two-digit status', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n'],
    ['HTTP/2.0 status line', 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ['not HTTP at all', 'SSH-2.0-OpenSSH\r\n\r\n'],
  ];
  it.each(bad)('refuses %s', async (_name, raw) => {
    const { session } = await upstream(respondWith(raw));
    session.writeRequestHeader(get());
    const err = (await session.readResponseHeader().catch((e) => e)) as PingoraError;
    expect(err.type).toBe(ErrorType.InvalidHTTPHeader);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(session.reusable()).toBe(false);
    expect(session.closed).toBe(true);
  });

  it('fails a malformed chunked body', async () => {
    const { session } = await upstream(
      respondWith('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n'),
    );
    session.writeRequestHeader(get());
    await session.readResponseHeader();
    const err = (await readAll(session).catch((e) => e)) as PingoraError;
    expect(err.type).toBe(ErrorType.InvalidHTTPHeader);
    expect(session.reusable()).toBe(false);
  });

  it('never reuses a connection that sent more than the framed response', async () => {
    const { session } = await upstream(
      respondWith('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA'),
    );
    const [, body] = await exchange(session, get());
    expect(body).toBe('hi');
    expect(session.reusable()).toBe(false);
  });

  it('treats a response body ended early by close as an error', async () => {
    const { session } = await upstream((_t, s) =>
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
    );
    session.writeRequestHeader(get());
    await session.readResponseHeader();
    const err = (await readAll(session).catch((e) => e)) as PingoraError;
    expect(err.type).toBe(ErrorType.ConnectionClosed);
  });
});

describe('reuse verdict', () => {
  it('is false after Connection: close either way or an HTTP/1.0 response', async () => {
    const cases: [RequestHeader, string][] = [
      [get('/', { Connection: 'close' }), 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
      [get(), 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'],
      [get(), 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'],
    ];
    for (const [req, raw] of cases) {
      const { session } = await upstream(respondWith(raw));
      await exchange(session, req);
      expect(session.reusable()).toBe(false);
    }
    const { session } = await upstream(
      respondWith('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'),
    );
    await exchange(session, get());
    expect(session.reusable()).toBe(true);
  });

  it('turns false when an idle connection receives bytes or closes', async () => {
    let sock: net.Socket | undefined;
    const { session } = await upstream((_t, s) => {
      sock = s;
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    await exchange(session, get());
    expect(session.reusable()).toBe(true);
    sock!.write('junk');
    for (let i = 0; i < 500 && session.reusable(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(session.reusable()).toBe(false);
  });

  it('is false when the response came before the request body was finished', async () => {
    const { session } = await upstream(
      respondWith('HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n'),
    );
    session.writeRequestHeader(get('/', { 'Content-Length': '100' }, 'POST'));
    session.writeBody(Buffer.from('x'));
    expect((await session.readResponseHeader()).status).toBe(413);
    await readAll(session);
    expect(session.reusable()).toBe(false);
  });

  it('marks a close before any response byte as retryable on reused connections', async () => {
    const { session } = await upstream((_t, s) => s.destroy());
    session.writeRequestHeader(get());
    const err = (await session.readResponseHeader().catch((e) => e)) as PingoraError;
    expect(err.type).toBe(ErrorType.ConnectionClosed);
    expect(session.receivedResponseBytes).toBe(false);
    expect(err.retryable(true)).toBe(true);
    expect(err.retryable(false)).toBe(false);
  });

  it('records that response bytes arrived before a failure', async () => {
    const { session } = await upstream((_t, s) => s.end('HTTP/1.1 200 O'));
    session.writeRequestHeader(get());
    const err = (await session.readResponseHeader().catch((e) => e)) as PingoraError;
    expect(session.receivedResponseBytes).toBe(true);
    expect(err.retryable(true)).toBe(false);
  });

  it('times out a silent upstream', async () => {
    const { session } = await upstream(() => {});
    session.readTimeoutMs = 300;
    session.writeRequestHeader(get());
    const err = (await session.readResponseHeader().catch((e) => e)) as PingoraError;
    expect(err.type).toBe(ErrorType.ReadTimedout);
  });

  it('fails a request body write that stays blocked past the write timeout', async () => {
    const { session } = await upstream((_t, s) => s.pause()); // never reads what we send
    session.writeTimeoutMs = 400;
    session.writeRequestHeader(get('/', { 'Transfer-Encoding': 'chunked' }, 'POST'));
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    let failure: PingoraError | undefined;
    try {
      for (let i = 0; i < 4096; i++) {
        if (!session.writeBody(chunk)) await new Promise<void>((r) => session.onDrain(r));
      }
    } catch (err) {
      failure = err as PingoraError;
    }
    expect(failure?.type).toBe(ErrorType.WriteTimedout);
    expect(failure?.source).toBe(ErrorSource.Upstream);
    expect(session.closed).toBe(true);
  });

  it('hands over the socket after 101', async () => {
    const { session } = await upstream((text, s) => {
      if (text.endsWith('\r\n\r\n'))
        s.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw!',
        );
    });
    session.writeRequestHeader(get('/', { Upgrade: 'x', Connection: 'upgrade' }));
    expect((await session.readResponseHeader()).status).toBe(101);
    const { socket, head } = session.upgradeToTunnel();
    let rest = head.toString();
    socket.on('data', (d) => {
      rest += d.toString();
    });
    socket.resume();
    for (let i = 0; i < 500 && rest !== 'raw!'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(rest).toBe('raw!');
    socket.destroy();
  });
});
