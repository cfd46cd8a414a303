/**
 * H1ClientSession.readResponseHeaderInto, the proxy's promise-free way to
 * wait for a response head: the sink hears exactly once (head or error),
 * synchronously when the head is already buffered, and a session read this
 * way stays reusable for the next request.
 */
import net from 'node:net';
import { ErrorType, type PingoraError } from '@pingora-ts/error';
import { RequestHeader, type ResponseHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it } from 'vitest';
import { H1ClientSession } from '../../src/protocols/http/v1/client-session.ts';

const servers: net.Server[] = [];
const clients: H1ClientSession[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) {
    await new Promise((r) => s.close(r));
  }
});

/** An upstream that answers each request head with `reply(n)` (n counts from 0), or closes on null. */
async function upstream(reply: (n: number) => string | null): Promise<H1ClientSession> {
  const server = net.createServer((socket) => {
    let n = 0;
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      while (text.includes('\r\n\r\n')) {
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
        const r = reply(n++);
        if (r === null) socket.destroy();
        else socket.write(r);
      }
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const session = new H1ClientSession(socket, { readTimeoutMs: 2_000 });
  clients.push(session);
  return session;
}

class RecordingSink {
  heads: ResponseHeader[] = [];
  errors: PingoraError[] = [];
  onResponseHead(resp: ResponseHeader): void {
    this.heads.push(resp);
  }
  onResponseHeadError(error: PingoraError): void {
    this.errors.push(error);
  }
  settled(): Promise<void> {
    return waitFor(() => this.heads.length + this.errors.length > 0);
  }
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

function get(): RequestHeader {
  const req = RequestHeader.build('GET', '/');
  req.appendHeader('Host', 'up');
  return req;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';

describe('readResponseHeaderInto', () => {
  it('tells the sink once, and the connection serves the next request', async () => {
    const s = await upstream(() => OK);
    for (let i = 0; i < 2; i++) {
      s.writeRequestHeader(get());
      const sink = new RecordingSink();
      s.readResponseHeaderInto(sink);
      await sink.settled();
      expect(sink.heads.map((h) => h.status)).toEqual([200]);
      expect(sink.errors).toEqual([]);
      expect((await s.readBodyChunk())?.toString()).toBe('hi');
      expect(await s.readBodyChunk()).toBeNull();
      expect(s.reusable()).toBe(true);
      expect(sink.heads.length).toBe(1);
    }
  });

  it('delivers a head that is already buffered before it returns', async () => {
    const s = await upstream(() => OK);
    s.writeRequestHeader(get());
    await waitFor(() => s.receivedResponseBytes);
    const sink = new RecordingSink();
    s.readResponseHeaderInto(sink);
    expect(sink.heads.length).toBe(1);
  });

  it('reports a lost connection once, as ConnectionClosed', async () => {
    const s = await upstream(() => null);
    s.writeRequestHeader(get());
    const sink = new RecordingSink();
    s.readResponseHeaderInto(sink);
    await sink.settled();
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.heads).toEqual([]);
    expect(sink.errors.map((e) => e.type)).toEqual([ErrorType.ConnectionClosed]);
  });

  it('refuses a wait without a request sent', async () => {
    const s = await upstream(() => OK);
    const sink = new RecordingSink();
    s.readResponseHeaderInto(sink);
    expect(sink.errors.map((e) => e.type)).toEqual([ErrorType.InternalError]);
  });
});
