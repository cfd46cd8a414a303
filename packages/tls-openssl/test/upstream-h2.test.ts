/**
 * ALPN choice per peer over TLS: an h2h1 peer speaks h2 when the origin
 * picks it and HTTP/1.1 when it offers only that; an h2 peer whose origin
 * cannot speak h2 fails with InvalidH2 instead of falling back.
 */
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type ALPN, HttpConnector, HttpPeer } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { hasOpenssl, makeCerts } from '../../../tooling/test-tls-cert.ts';
import { OpensslUpstreamTls } from '../src/index.ts';
import { tlsOrigin } from './utils/tls-origin.ts';

const certs = hasOpenssl() ? makeCerts() : undefined;

describe.skipIf(certs === undefined)('HTTP/2 over TLS to upstreams', () => {
  const c = certs!;
  const peer = (port: number, alpn: ALPN) =>
    new HttpPeer(`127.0.0.1:${port}`, {
      tls: true,
      sni: 'localhost',
      options: { ca: c.ca, alpn, maxH2Streams: 10 },
    });

  async function get(connector: HttpConnector, p: HttpPeer) {
    const { session } = await connector.getHttpSession(p);
    session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'localhost'));
    await session.readResponseHeader();
    let body = '';
    for (let ch = await session.readBodyChunk(); ch !== null; ch = await session.readBodyChunk()) {
      body += ch;
    }
    connector.releaseHttpSession(session, p);
    return { protocol: session.protocol, body };
  }

  it('an h2h1 peer speaks h2 when ALPN picks it', async () => {
    const server = createSecureServer({ cert: c.serverCert, key: c.serverKey });
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(`h2 ${headers[':scheme']}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connector = new HttpConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    try {
      const port = (server.address() as AddressInfo).port;
      expect(await get(connector, peer(port, 'h2h1'))).toEqual({
        protocol: 'HTTP/2',
        body: 'h2 https',
      });
    } finally {
      connector.close();
      server.close();
    }
  });

  it('an h2h1 peer falls back to HTTP/1.1 when the origin has no ALPN; an h2 peer refuses', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new HttpConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    try {
      expect(await get(connector, peer(origin.port, 'h2h1'))).toEqual({
        protocol: 'HTTP/1.1',
        body: 'tls',
      });
      const err = await get(connector, peer(origin.port, 'h2')).catch((e: unknown) => e);
      expect(PingoraError.is(err) && err.type).toBe(ErrorType.InvalidH2);
    } finally {
      connector.close();
    }
  });
});
