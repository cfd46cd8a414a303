import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import { HttpConnector, HttpPeer, type HttpPeerInit } from '../../src/index.ts';
import { hasOpenssl, makeCerts } from './utils/certs.ts';
import { connectProxy, tcpServer } from './utils/servers.ts';
import { tlsOrigin } from './utils/tls-origin.ts';

// Certificates come from the openssl CLI at test time; without it these tests cannot run.
const certs = hasOpenssl() ? makeCerts() : undefined;

async function get(
  connector: HttpConnector,
  peer: HttpPeer,
): Promise<{ body: string; reused: boolean }> {
  const { session, reused } = await connector.getHttpSession(peer);
  session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'localhost'));
  await session.readResponseHeader();
  let body = '';
  for (let c = await session.readBodyChunk(); c !== null; c = await session.readBodyChunk()) {
    body += c.toString('latin1');
  }
  connector.releaseHttpSession(session, peer);
  return { body, reused };
}

async function failure(promise: Promise<unknown>): Promise<PingoraError> {
  try {
    await promise;
  } catch (err) {
    if (PingoraError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe.skipIf(certs === undefined)('TLS to upstreams', () => {
  const c = certs!;
  const peer = (port: number, init: HttpPeerInit = {}): HttpPeer =>
    new HttpPeer(`127.0.0.1:${port}`, {
      tls: true,
      sni: 'localhost',
      ...init,
      options: { ca: c.ca, ...init.options },
    });

  it('verifies the chain and hostname, sends SNI and offers only http/1.1 for an h1 peer, and reuses', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const connector = new HttpConnector();
    // ALPN h2 and h2h1 peers are offered h2 too (see h2-tls.test.ts).
    const p = peer(origin.port, { options: { alpn: 'h1' } });
    expect(await get(connector, p)).toEqual({ body: 'tls', reused: false });
    expect(await get(connector, p)).toEqual({ body: 'tls', reused: true });
    expect(origin.accepted()).toBe(1);
    expect(origin.clients[0]).toMatchObject({ sni: 'localhost', alpn: 'http/1.1' });
    connector.close();
  });

  it('rejects a certificate that does not chain to the CA as InvalidCert', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new HttpConnector();
    const err = await failure(
      connector.getHttpSession(peer(origin.port, { options: { ca: undefined } })),
    );
    expect(err.type).toBe(ErrorType.InvalidCert);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.message).toContain(`connecting to addr: 127.0.0.1:${origin.port}, scheme: https`);
    // verify_cert off accepts it.
    const lax = peer(origin.port, { options: { ca: undefined, verifyCert: false } });
    expect((await get(connector, lax)).body).toBe('tls');
    connector.close();
  });

  it('checks the hostname against the SNI or the alternative CN, unless told not to', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new HttpConnector();
    const wrong = peer(origin.port, { sni: 'wrong.example' });
    expect((await failure(connector.getHttpSession(wrong))).type).toBe(ErrorType.InvalidCert);
    const alt = peer(origin.port, {
      sni: 'wrong.example',
      options: { alternativeCn: 'localhost' },
    });
    expect((await get(connector, alt)).body).toBe('tls');
    const unchecked = peer(origin.port, {
      sni: 'wrong.example',
      options: { verifyHostname: false },
    });
    expect((await get(connector, unchecked)).body).toBe('tls');
    // No SNI: the certificate must name the IP address (it does: IP:127.0.0.1).
    expect((await get(connector, peer(origin.port, { sni: '' }))).body).toBe('tls');
    connector.close();
  });

  it('presents the client certificate for mutual TLS', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ca: c.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const connector = new HttpConnector();
    const p = peer(origin.port, { clientCert: { cert: c.clientCert, key: c.clientKey } });
    expect((await get(connector, p)).body).toBe('tls');
    expect(origin.clients[0]?.clientCn).toBe('pingora-ts client');
    const anonymous = await failure(get(connector, peer(origin.port)));
    expect([
      ErrorType.TLSHandshakeFailure,
      ErrorType.ConnectionClosed,
      ErrorType.ReadError,
    ]).toContain(anonymous.type);
    connector.close();
  });

  it('times out a TLS handshake the server never answers (totalConnectionTimeout)', async () => {
    await using silent = await tcpServer(() => {});
    const connector = new HttpConnector();
    const err = await failure(
      connector.getHttpSession(peer(silent.port, { options: { totalConnectionTimeout: 200 } })),
    );
    expect(err.type).toBe(ErrorType.TLSHandshakeTimedout);
    expect(err.source).toBe(ErrorSource.Upstream);
    connector.close();
  });

  it('runs TLS inside a CONNECT tunnel', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    await using proxy = await connectProxy();
    const connector = new HttpConnector();
    const p = peer(origin.port, {
      proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: '127.0.0.1', port: origin.port },
    });
    expect(await get(connector, p)).toEqual({ body: 'tls', reused: false });
    expect(await get(connector, p)).toEqual({ body: 'tls', reused: true });
    expect(proxy.heads).toHaveLength(1);
    connector.close();
  });
});
