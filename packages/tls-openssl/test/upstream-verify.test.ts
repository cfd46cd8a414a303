import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpConnector, HttpPeer, type HttpPeerInit } from '@pingora-ts/core';
import { ErrorSource, ErrorType } from '@pingora-ts/error';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connectProxy, tcpServer } from '../../../tooling/test-servers.ts';
import { makeCerts } from '../../../tooling/test-tls-cert.ts';
import { OpensslUpstreamTls, upstreamTlsFromServerConf } from '../src/index.ts';
import { failure, get } from './utils/client.ts';
import { tlsOrigin } from './utils/tls-origin.ts';

// Certificates come from the openssl CLI at test time (makeCerts says to install it when missing).
const certs = makeCerts();

describe('upstream TLS verification', () => {
  const c = certs;
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-ca-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const connector = (tls = new OpensslUpstreamTls({ roots: 'bundled' })): HttpConnector =>
    new HttpConnector({ tls });
  const peer = (port: number, init: HttpPeerInit = {}): HttpPeer =>
    new HttpPeer(`127.0.0.1:${port}`, {
      tls: true,
      sni: 'localhost',
      ...init,
      options: { ca: c.ca, ...init.options },
    });

  it('verifies the chain and hostname, sends SNI, offers only http/1.1 for an h1 peer, and reuses', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const conn = connector();
    // h2 and h2h1 peers are offered h2 too (upstream-h2.test.ts).
    const p = peer(origin.port, { options: { alpn: 'h1' } });
    const first = await get(conn, p);
    expect(first).toMatchObject({ body: 'tls', reused: false });
    expect(first.tls).toMatchObject({ version: 'TLSv1.3', alpn: 'http/1.1', sni: 'localhost' });
    expect(first.tls?.peerCert?.subject).toBe('CN=localhost');
    expect(first.tls?.peerCert).toMatchObject({ commonName: 'localhost', authorized: true });
    expect(first.tls?.peerCert?.sans).toEqual(['DNS:localhost', 'IP Address:127.0.0.1']);
    expect(first.tls?.peerCert?.serial).toMatch(/^[0-9A-F]+$/);
    expect(first.tls?.cipher).toMatch(/^TLS_/);
    expect(await get(conn, p)).toMatchObject({ body: 'tls', reused: true });
    expect(origin.accepted()).toBe(1);
    expect(origin.clients[0]).toMatchObject({ sni: 'localhost', alpn: 'http/1.1' });
    conn.close();
  });

  it('rejects a certificate that does not chain to the trusted CA: InvalidCert naming the peer', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const conn = connector();
    const wrongCa = await failure(
      conn.getHttpSession(peer(origin.port, { options: { ca: c.otherCa } })),
    );
    expect(wrongCa.type).toBe(ErrorType.InvalidCert);
    expect(wrongCa.source).toBe(ErrorSource.Upstream);
    expect(wrongCa.message).toContain(
      `connecting to addr: 127.0.0.1:${origin.port}, scheme: https`,
    );
    // The default roots do not know the test CA either.
    const noCa = await failure(
      conn.getHttpSession(peer(origin.port, { options: { ca: undefined } })),
    );
    expect(noCa.type).toBe(ErrorType.InvalidCert);
    // verify_cert off accepts it.
    const lax = peer(origin.port, { options: { ca: c.otherCa, verifyCert: false } });
    const accepted = await get(conn, lax);
    expect(accepted.body).toBe('tls');
    // Accepted unverified, and the digest says so.
    expect(accepted.tls?.peerCert?.authorized).toBe(false);
    conn.close();
  });

  it('checks the hostname against the SNI or the alternative CN, unless told not to', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const conn = connector();
    const wrong = await failure(conn.getHttpSession(peer(origin.port, { sni: 'wrong.example' })));
    expect(wrong.type).toBe(ErrorType.InvalidCert);
    expect(wrong.message).toContain('wrong.example');
    const alt = peer(origin.port, {
      sni: 'wrong.example',
      options: { alternativeCn: 'localhost' },
    });
    expect((await get(conn, alt)).body).toBe('tls');
    const unchecked = peer(origin.port, {
      sni: 'wrong.example',
      options: { verifyHostname: false },
    });
    expect((await get(conn, unchecked)).body).toBe('tls');
    // No SNI: the certificate must name the IP address dialled (it does: IP:127.0.0.1).
    expect((await get(conn, peer(origin.port, { sni: '' }))).body).toBe('tls');
    conn.close();
  });

  it('trusts the server conf ca_file for peers without their own CA', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const file = join(dir, 'ca.pem');
    writeFileSync(file, c.ca);
    const conn = connector(new OpensslUpstreamTls({ caFile: file }));
    expect((await get(conn, peer(origin.port, { options: { ca: undefined } }))).body).toBe('tls');
    // A peer's own CA still replaces it.
    const own = await failure(
      conn.getHttpSession(peer(origin.port, { options: { ca: c.otherCa } })),
    );
    expect(own.type).toBe(ErrorType.InvalidCert);
    conn.close();
    expect(() => new OpensslUpstreamTls({ caFile: join(dir, 'missing.pem') })).toThrow(
      /ca_file .*missing\.pem cannot be read/,
    );
    writeFileSync(join(dir, 'empty.pem'), 'nothing here');
    expect(() => new OpensslUpstreamTls({ caFile: join(dir, 'empty.pem') })).toThrow(
      /holds no PEM certificate/,
    );
  });

  it('writes the TLS key log when asked (upstream_debug_ssl_keylog with SSLKEYLOGFILE)', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const file = join(dir, 'keys.log');
    const conn = connector(new OpensslUpstreamTls({ roots: 'bundled', keylogFile: file }));
    expect((await get(conn, peer(origin.port))).body).toBe('tls');
    await vi.waitFor(() =>
      expect(readFileSync(file, 'latin1')).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET /m),
    );
    conn.close();
    // From the server conf: only with the key on and SSLKEYLOGFILE set.
    const other = join(dir, 'conf-keys.log');
    vi.stubEnv('SSLKEYLOGFILE', other);
    try {
      const off = connector(upstreamTlsFromServerConf({ caFile: undefined }));
      await get(off, peer(origin.port, { sni: '' }));
      off.close();
      expect(existsSync(other)).toBe(false);
      const on = connector(
        upstreamTlsFromServerConf({ caFile: undefined, upstreamDebugSslKeylog: true }),
      );
      await get(on, peer(origin.port, { sni: '' }));
      await vi.waitFor(() => expect(existsSync(other)).toBe(true));
      on.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('presents the client certificate for mutual TLS', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ca: c.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const conn = connector();
    const p = peer(origin.port, { clientCert: { cert: c.clientCert, key: c.clientKey } });
    expect((await get(conn, p)).body).toBe('tls');
    expect(origin.clients[0]?.clientCn).toBe('pingora-ts client');
    const anonymous = await failure(get(conn, peer(origin.port)));
    expect([
      ErrorType.TLSHandshakeFailure,
      ErrorType.ConnectionClosed,
      ErrorType.ReadError,
    ]).toContain(anonymous.type);
    // Key material that does not parse is our configuration's fault, found before any I/O.
    const broken = peer(origin.port, { clientCert: { cert: 'not a cert', key: 'not a key' } });
    const bad = await failure(conn.getHttpSession(broken));
    expect(bad.type).toBe(ErrorType.TLSHandshakeFailure);
    expect(bad.source).toBe(ErrorSource.Internal);
    conn.close();
  });

  it('times out a TLS handshake the server never answers (totalConnectionTimeout)', async () => {
    await using silent = await tcpServer(() => {});
    const conn = connector();
    const err = await failure(
      conn.getHttpSession(peer(silent.port, { options: { totalConnectionTimeout: 200 } })),
    );
    expect(err.type).toBe(ErrorType.TLSHandshakeTimedout);
    expect(err.source).toBe(ErrorSource.Upstream);
    conn.close();
  });

  it('runs TLS inside a CONNECT tunnel', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    await using proxy = await connectProxy();
    const conn = connector();
    const p = peer(origin.port, {
      proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: '127.0.0.1', port: origin.port },
    });
    expect(await get(conn, p)).toMatchObject({ body: 'tls', reused: false });
    expect(await get(conn, p)).toMatchObject({ body: 'tls', reused: true });
    expect(proxy.heads).toHaveLength(1);
    conn.close();
  });

  it('refuses TLS peers on a connector given no TLS backend, saying what to pass', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const conn = new HttpConnector();
    const err = await failure(conn.getHttpSession(peer(origin.port)));
    expect(err.type).toBe(ErrorType.TLSHandshakeFailure);
    expect(err.source).toBe(ErrorSource.Internal);
    expect(err.message).toContain('@pingora-ts/tls-openssl');
    expect(origin.accepted()).toBe(0);
    conn.close();
  });
});
