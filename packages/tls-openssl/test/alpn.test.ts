/**
 * ALPN: the protocol chosen (server preference) is in the digest for the
 * HTTP layer; a client that sends no ALPN is served; and where no protocol
 * overlaps node:tls sends a fatal no_application_protocol alert, unlike
 * Pingora which answers without ALPN (NOACK) and lets the client carry on
 * with HTTP/1.1. This test pins node's behaviour.
 */
import { ListenerAlpn, ListeningService, type TlsSettings } from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/index.ts';
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
  const service = new ListeningService('alpn', new DigestEcho()).addTlsWithSettings('127.0.0.1:0', {
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

  it('no overlap: node:tls sends a fatal alert where Pingora would go on without ALPN', async () => {
    const p = await start({ alpn: ListenerAlpn.H1 });
    expect(await handshakeOutcome(p, { ca: ca.cert, ALPNProtocols: ['h2'] })).toMatch(
      /NO_APPLICATION_PROTOCOL/,
    );
  });
});
