/**
 * A custom L4 transport under the HTTP stack (Pingora's virtual L4): a peer
 * whose options carry `customL4` is reached through it, never over TCP; the
 * HTTP/1 session and the pool work over a VirtualSocket unchanged; the
 * transport's name is part of the pool key; a failing transport is an
 * Upstream ConnectError naming it.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { HttpConnector, HttpPeer, type L4Connect, VirtualSocket } from '../../src/index.ts';

/** A keep-alive HTTP/1 responder on the far side of each virtual connection. */
function echoTransport(): L4Connect & { opened: number } {
  return {
    name: 'echo-virtual',
    opened: 0,
    connect() {
      this.opened++;
      let buffered = '';
      return new VirtualSocket({
        onWrite(chunk, socket) {
          buffered += chunk.toString('latin1');
          for (
            let end = buffered.indexOf('\r\n\r\n');
            end >= 0;
            end = buffered.indexOf('\r\n\r\n')
          ) {
            const line = buffered.slice(0, buffered.indexOf('\r\n'));
            buffered = buffered.slice(end + 4);
            const body = `virtual ${line}`;
            socket.deliver(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          }
        },
      });
    },
  };
}

async function get(connector: HttpConnector, peer: HttpPeer, path: string) {
  const { session, reused } = await connector.getHttpSession(peer);
  session.writeRequestHeader(RequestHeader.build('GET', path).appendHeader('Host', 'v'));
  const resp = await session.readResponseHeader();
  let body = '';
  for (let c = await session.readBodyChunk(); c !== null; c = await session.readBodyChunk()) {
    body += c.toString('latin1');
  }
  connector.releaseHttpSession(session, peer);
  return { status: resp.status, body, reused };
}

describe('custom L4 transports', () => {
  it('carries HTTP/1 over a VirtualSocket, pooled like TCP, without dialling the address', async () => {
    const transport = echoTransport();
    // 192.0.2.1 (TEST-NET-1) is never dialled: the transport answers.
    const peer = new HttpPeer('192.0.2.1:80', { options: { customL4: transport } });
    const connector = new HttpConnector();
    expect(await get(connector, peer, '/a')).toEqual({
      status: 200,
      body: 'virtual GET /a HTTP/1.1',
      reused: false,
    });
    expect(await get(connector, peer, '/b')).toEqual({
      status: 200,
      body: 'virtual GET /b HTTP/1.1',
      reused: true,
    });
    expect(transport.opened).toBe(1);
  });

  it('puts the transport name in the pool key', () => {
    const plain = new HttpPeer('192.0.2.1:80');
    const virt = new HttpPeer('192.0.2.1:80', { options: { customL4: echoTransport() } });
    expect(virt.reuseHash()).not.toBe(plain.reuseHash());
    expect(virt.reuseHash()).toContain('echo-virtual');
  });

  it('turns a failing transport into an Upstream ConnectError naming it', async () => {
    const failing: L4Connect = {
      name: 'broken',
      connect() {
        throw new Error('no route in the mesh');
      },
    };
    const peer = new HttpPeer('192.0.2.1:80', { options: { customL4: failing } });
    const err = await new HttpConnector().getHttpSession(peer).catch((e: unknown) => e);
    expect(PingoraError.is(err)).toBe(true);
    const e = err as PingoraError;
    expect(e.source).toBe(ErrorSource.Upstream);
    expect(e.type).toBe(ErrorType.ConnectError);
    expect(e.context).toMatch(/through broken/);
  });
});
