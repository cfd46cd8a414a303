import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { BasicPeer, HttpConnector, HttpPeer, type HttpPeerInit } from '@pingora-ts/core';
import { TransportConnector } from '@pingora-ts/core/connectors';
import { describe, expect, it, vi } from 'vitest';
import { makeCerts } from '../../../tooling/test-tls-cert.ts';
import { OpensslUpstreamTls, upstreamTls, upstreamTlsChannels } from '../src/index.ts';
import { get } from './utils/client.ts';
import { tlsOrigin } from './utils/tls-origin.ts';

const certs = makeCerts();

// node:tls as a CommonJS module object: the one the connector and Node's own tls.connect call.
const tlsModule = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');

describe('upstream TLS contexts, sessions and pooling', () => {
  const c = certs;
  const peer = (port: number, init: HttpPeerInit = {}): HttpPeer =>
    new HttpPeer(`127.0.0.1:${port}`, {
      tls: true,
      sni: 'localhost',
      ...init,
      options: { ca: c.ca, ...init.options },
    });

  it('builds exactly one SecureContext for 100 connects to one peer', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const tls = new OpensslUpstreamTls({ roots: 'bundled' });
    const connector = new TransportConnector({ tls });
    const built: unknown[] = [];
    const onContext = (m: unknown): void => {
      built.push(m);
    };
    subscribe(upstreamTlsChannels.context.name as string, onContext);
    // Count every context node:tls builds, including any tls.connect would make on its own.
    const original = tlsModule.createSecureContext;
    let nodeContexts = 0;
    tlsModule.createSecureContext = (options) => {
      nodeContexts++;
      return original(options);
    };
    try {
      for (let i = 0; i < 100; i++) {
        // A peer object per request, as proxies build them: equal settings, one context.
        const conn = await connector.newStream(peer(origin.port));
        conn.stream.destroy();
      }
    } finally {
      tlsModule.createSecureContext = original;
      unsubscribe(upstreamTlsChannels.context.name as string, onContext);
    }
    expect(origin.accepted()).toBe(100);
    expect(tls.contextsCreated).toBe(1);
    expect(nodeContexts).toBe(1);
    expect(built).toHaveLength(1);
    expect(tls.stats.handshakes).toBe(100);
    connector.close();
  });

  it('builds one context per distinct settings, bounded by the cache size', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const tls = new OpensslUpstreamTls({ roots: 'bundled', contextCacheSize: 2 });
    const connector = new TransportConnector({ tls });
    const variants = [
      peer(origin.port),
      peer(origin.port, { clientCert: { cert: c.clientCert, key: c.clientKey } }),
      peer(origin.port, { options: { curves: 'P-256' } }),
    ];
    for (const p of [...variants, ...variants.slice(2)]) {
      (await connector.newStream(p)).stream.destroy();
    }
    expect(tls.contextsCreated).toBe(3);
    // The first variant was evicted (capacity 2), so it is built again.
    (await connector.newStream(variants[0]!)).stream.destroy();
    expect(tls.contextsCreated).toBe(4);
    connector.close();
  });

  it('resumes the TLS session on the second connection, and says so in the digest', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const tls = new OpensslUpstreamTls({ roots: 'bundled' });
    const connector = new HttpConnector({ tls });
    // idleTimeout 0: never pooled, so each request makes a new connection.
    const p = (): HttpPeer => peer(origin.port, { options: { idleTimeout: 0 } });
    const first = await get(connector, p());
    expect(first.tls?.resumed).toBe(false);
    const second = await get(connector, p());
    expect(second.reused).toBe(false);
    expect(second.tls?.resumed).toBe(true);
    expect(second.tls?.peerCert?.subject).toBe('CN=localhost');
    expect(origin.clients.map((x) => x.resumed)).toEqual([false, true]);
    expect(tls.stats.resumed).toBe(1);
    // A peer with other settings (hostname check off) never resumes the first one's session.
    const other = await get(
      connector,
      peer(origin.port, { options: { idleTimeout: 0, verifyHostname: false } }),
    );
    expect(other.tls?.resumed).toBe(false);
    connector.close();
  });

  it('resumes TLS 1.2 sessions too, keeping the certificate verified when it was made', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      maxVersion: 'TLSv1.2',
    });
    const connector = new HttpConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    const p = (): HttpPeer => peer(origin.port, { options: { idleTimeout: 0 } });
    expect((await get(connector, p())).tls).toMatchObject({ version: 'TLSv1.2', resumed: false });
    const second = await get(connector, p());
    expect(second.tls).toMatchObject({ version: 'TLSv1.2', resumed: true });
    expect(second.tls?.peerCert?.subject).toBe('CN=localhost');
    connector.close();
  });

  it('does not resume when the session cache is off', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new HttpConnector({
      tls: new OpensslUpstreamTls({ roots: 'bundled', sessionCacheSize: 0 }),
    });
    const p = (): HttpPeer => peer(origin.port, { options: { idleTimeout: 0 } });
    await get(connector, p());
    expect((await get(connector, p())).tls?.resumed).toBe(false);
    connector.close();
  });

  it('never pools connections across peers differing only in CA or client cert', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ca: c.ca,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const connector = new HttpConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    const plain = peer(origin.port);
    // Trusts the right CA too, so it connects; only the bundle differs.
    const widerCa = peer(origin.port, { options: { ca: [c.ca, c.otherCa] } });
    const withCert = peer(origin.port, { clientCert: { cert: c.clientCert, key: c.clientKey } });
    for (const p of [plain, widerCa, withCert]) {
      expect((await get(connector, p)).reused).toBe(false);
    }
    expect(origin.accepted()).toBe(3);
    expect(origin.clients.map((x) => x.clientCn)).toEqual([
      undefined,
      undefined,
      'pingora-ts client',
    ]);
    // Equal settings in a new peer object do share.
    expect(
      (await get(connector, peer(origin.port, { options: { ca: [c.ca, c.otherCa] } }))).reused,
    ).toBe(true);
    expect(origin.accepted()).toBe(3);
    connector.close();
  });

  it('sends the SNI when set, none when empty or an IP address', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new HttpConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    const named = await get(connector, peer(origin.port));
    const none = await get(connector, peer(origin.port, { sni: '' }));
    const ip = await get(connector, peer(origin.port, { sni: '127.0.0.1' }));
    expect(origin.clients.map((x) => x.sni)).toEqual(['localhost', false, false]);
    expect([named.tls?.sni, none.tls?.sni, ip.tls?.sni]).toEqual([
      'localhost',
      undefined,
      undefined,
    ]);
    connector.close();
  });

  it('offers the ALPN of each peer (h1, h2, h2h1) and reports the choice', async () => {
    await using origin = await tlsOrigin({
      cert: c.serverCert,
      key: c.serverKey,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const connector = new TransportConnector({ tls: new OpensslUpstreamTls({ roots: 'bundled' }) });
    const chosen: (string | undefined)[] = [];
    for (const alpn of ['h1', 'h2', 'h2h1'] as const) {
      const conn = await connector.newStream(peer(origin.port, { options: { alpn } }));
      chosen.push(conn.stream.upstreamTls?.alpn);
      // Held open until the origin has seen the handshake end.
      const seen = chosen.length;
      await vi.waitFor(() => expect(origin.clients).toHaveLength(seen), { timeout: 2000 });
      conn.stream.destroy();
    }
    expect(chosen).toEqual(['http/1.1', 'h2', 'h2']);
    expect(origin.clients.map((x) => x.alpn)).toEqual(['http/1.1', 'h2', 'h2']);
    connector.close();
  });

  it('secures BasicPeers too, and shares one backend per trust setting in a process', async () => {
    await using origin = await tlsOrigin({ cert: c.serverCert, key: c.serverKey });
    const connector = new TransportConnector({ tls: upstreamTls({ roots: 'bundled' }) });
    const conn = await connector.newStream(
      new BasicPeer(`127.0.0.1:${origin.port}`, { sni: 'localhost', options: { ca: c.ca } }),
    );
    expect(conn.stream.upstreamTls?.version).toBe('TLSv1.3');
    conn.stream.destroy();
    expect(upstreamTls({ roots: 'bundled' })).toBe(upstreamTls({ roots: 'bundled' }));
    expect(upstreamTls({ roots: 'bundled' })).not.toBe(upstreamTls());
    connector.close();
  });
});
