/**
 * ALPN: the protocol chosen (server preference) is in the digest for the
 * HTTP layer; a client that sends no ALPN is served; where no protocol
 * overlaps the listener answers without ALPN (Pingora's NOACK, the client
 * carries on with HTTP/1.1) instead of node:tls's fatal alert, except for
 * h2-only listeners which keep the alert as Pingora's h2_only does.
 */
import { type AddressInfo, connect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ListenerAlpn, ListeningService, type TlsSettings } from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import {
  connectTls,
  DigestEcho,
  handshakeOutcome,
  port,
  run,
  stopRunsAfterEach,
} from './utils/harness.ts';
import { TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const server = pki.leaf(ca, ['localhost']);

async function start(more: Partial<TlsSettings>) {
  const service = new ListeningService('alpn', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings('127.0.0.1:0', {
    cert: { certPath: server.certPath, keyPath: server.keyPath },
    watchFiles: false,
    ...more,
  });
  run(service);
  return port((await service.listening)[0]);
}

async function negotiated(p: number, offer: string[] | undefined) {
  const c = await connectTls(p, {
    ca: ca.cert,
    ...(offer === undefined ? {} : { ALPNProtocols: offer }),
  });
  c.socket.destroy();
  return { server: c.digest.alpn, client: c.socket.alpnProtocol };
}

describe('ALPN', () => {
  it('h2h1 prefers h2, falls back to http/1.1, and serves clients without ALPN', async () => {
    const p = await start({ alpn: ListenerAlpn.H2H1 });
    expect(await negotiated(p, ['http/1.1', 'h2'])).toEqual({ server: 'h2', client: 'h2' });
    expect(await negotiated(p, ['http/1.1'])).toEqual({ server: 'http/1.1', client: 'http/1.1' });
    expect(await negotiated(p, undefined)).toEqual({ server: undefined, client: false });
  });

  it('h1 picks http/1.1 for a browser-like offer', async () => {
    const p = await start({ alpn: ListenerAlpn.H1 });
    expect(await negotiated(p, ['h2', 'http/1.1'])).toEqual({
      server: 'http/1.1',
      client: 'http/1.1',
    });
  });

  it('without ALPN settings the server acknowledges no protocol (HTTP/1.1 by default)', async () => {
    const p = await start({});
    expect(await negotiated(p, ['h2', 'http/1.1'])).toEqual({ server: undefined, client: false });
    expect(await negotiated(p, ['spdy/3'])).toEqual({ server: undefined, client: false });
  });

  it('no overlap: carries on without ALPN as Pingora does (h1 and h2h1)', async () => {
    for (const alpn of [ListenerAlpn.H1, ListenerAlpn.H2H1]) {
      const p = await start({ alpn });
      expect(await negotiated(p, ['spdy/3', 'acme-tls/1'])).toEqual({
        server: undefined,
        client: false,
      });
      expect(await negotiated(p, ['http/1.1'])).toEqual({ server: 'http/1.1', client: 'http/1.1' });
    }
    const h1 = await start({ alpn: ListenerAlpn.H1 });
    expect(await negotiated(h1, ['h2'])).toEqual({ server: undefined, client: false });
  });

  it('no overlap on an h2-only listener: a fatal alert (Pingora h2_only), as node:tls does by itself', async () => {
    const p = await start({ alpn: ListenerAlpn.H2 });
    expect(await negotiated(p, ['h2', 'http/1.1'])).toEqual({ server: 'h2', client: 'h2' });
    expect(await handshakeOutcome(p, { ca: ca.cert, ALPNProtocols: ['http/1.1'] })).toMatch(
      /NO_APPLICATION_PROTOCOL/,
    );
  });

  it('reads the ALPN list under TLS 1.2 and from a ClientHello split over many TCP writes', async () => {
    const p = await start({ alpn: ListenerAlpn.H1 });
    const c = await connectTls(p, {
      ca: ca.cert,
      maxVersion: 'TLSv1.2',
      ALPNProtocols: ['spdy/3'],
    });
    expect(c.digest).toMatchObject({ version: 'TLSv1.2' });
    expect(c.digest.alpn).toBeUndefined();
    c.socket.destroy();
    // The same ClientHello, one byte per write: the peek waits for all of it.
    const hello = await captureClientHello(['spdy/3']);
    const split = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(p, '127.0.0.1');
      const got: Buffer[] = [];
      s.on('error', reject);
      s.on('data', (d: Buffer) => {
        got.push(d);
        // A ServerHello came back: the handshake went on without ALPN.
        if (Buffer.concat(got).length >= 5) {
          s.destroy();
          resolve(Buffer.concat(got));
        }
      });
      s.on('connect', async () => {
        for (let i = 0; i < hello.length; i += 64) {
          s.write(hello.subarray(i, i + 64));
          await new Promise((r) => setTimeout(r, 2));
        }
      });
    });
    expect(split[0]).toBe(22); // a handshake record, not an alert (21)
  });
});

/** The bytes of a real ClientHello offering `protocols` (from node's own client). */
function captureClientHello(protocols: string[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const sink = createServer((s) => {
      s.once('data', (d: Buffer) => {
        s.destroy();
        sink.close();
        resolve(d);
      });
    }).listen(0, '127.0.0.1', () => {
      const addr = sink.address() as AddressInfo;
      const c = tlsConnect({ host: '127.0.0.1', port: addr.port, ALPNProtocols: protocols });
      c.on('error', () => {});
    });
  });
}
