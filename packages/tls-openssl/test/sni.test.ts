/**
 * Certificate choice over real handshakes: the default certificate for
 * unknown and absent names, exact per-SNI certificates, one-label wildcards,
 * and the asynchronous certificate callback (with its context cached).
 */
import { ListeningService, type TlsCertKey, tlsSettings } from '@pingora-ts/core';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import { OpensslAcceptor } from '../src/listener/acceptor.ts';
import { connectTls, DigestEcho, port, run, stopRunsAfterEach } from './utils/harness.ts';
import { type CertFiles, TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const def = pki.leaf(ca, ['default.test']);
const api = pki.leaf(ca, ['api.example.com']);
const wild = pki.leaf(ca, ['*.example.com']);

async function servedSerial(p: number, servername: string | undefined): Promise<string> {
  const c = await connectTls(p, {
    ca: ca.cert,
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: false,
  });
  const serial = c.socket.getPeerX509Certificate()?.serialNumber.toUpperCase() ?? '';
  c.socket.destroy();
  return serial;
}

async function start(
  settings: Parameters<ListeningService['addTlsWithSettings']>[1],
): Promise<number> {
  const service = new ListeningService('tls', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings('127.0.0.1:0', settings);
  run(service);
  const [addr] = await service.listening;
  return port(addr);
}

const files = (c: CertFiles) => ({ certPath: c.certPath, keyPath: c.keyPath });

describe('TLS listener certificates', () => {
  it('serves per-SNI certificates, wildcards for one label, and the default otherwise', async () => {
    const p = await start(
      tlsSettings(def.certPath, def.keyPath, {
        sni: { 'api.example.com': files(api), '*.example.com': files(wild) },
      }),
    );
    expect(await servedSerial(p, 'api.example.com')).toBe(api.serial);
    expect(await servedSerial(p, 'API.Example.COM')).toBe(api.serial);
    expect(await servedSerial(p, 'www.example.com')).toBe(wild.serial);
    expect(await servedSerial(p, 'a.b.example.com')).toBe(def.serial);
    expect(await servedSerial(p, 'example.com')).toBe(def.serial);
    expect(await servedSerial(p, 'unknown.test')).toBe(def.serial);
    expect(await servedSerial(p, undefined)).toBe(def.serial);
  });

  it('serves every name from the one certificate without an SNICallback, and still reports the SNI', async () => {
    const p = await start(tlsSettings(def.certPath, def.keyPath));
    expect(await servedSerial(p, 'default.test')).toBe(def.serial);
    expect(await servedSerial(p, 'unknown.test')).toBe(def.serial);
    expect(await servedSerial(p, undefined)).toBe(def.serial);
    const c = await connectTls(p, { ca: ca.cert, servername: 'default.test' });
    expect(c.socket.authorized).toBe(true);
    expect(c.digest).toMatchObject({ sni: 'default.test', resumed: false });
    c.socket.destroy();
    // The callback (a JS round trip per named handshake) only where a name picks the certificate.
    const env = { service: 's', endpoint: 'e', logger: pino({ level: 'silent' }) };
    const acceptor = (more: Record<string, unknown>) =>
      new OpensslAcceptor({ cert: files(def), watchFiles: false, ...more }, env);
    const one = acceptor({});
    const named = acceptor({ sni: { 'api.example.com': files(api) } });
    const chooser = acceptor({ callbacks: { certificateCallback: () => undefined } });
    expect([one, named, chooser].map((a) => a.usesSniCallback)).toEqual([false, true, true]);
    for (const a of [one, named, chooser]) a.close();
  });

  it('verifies end to end with the CA and reports the SNI in the digest', async () => {
    const p = await start(
      tlsSettings(def.certPath, def.keyPath, { sni: { 'api.example.com': files(api) } }),
    );
    const c = await connectTls(p, { ca: ca.cert, servername: 'api.example.com' });
    expect(c.socket.authorized).toBe(true);
    expect(c.digest).toMatchObject({ sni: 'api.example.com', resumed: false });
    expect(c.digest.clientCert).toBeUndefined();
    expect(c.digest.version).toBe('TLSv1.3');
    expect(c.digest.cipher).toMatch(/^TLS_/);
    expect(c.digest.handshakeMs).toBeGreaterThan(0);
    c.socket.destroy();
  });

  it('lets an async certificate callback choose, building one context per returned certificate', async () => {
    const chosen: TlsCertKey = { cert: api.cert, key: api.key };
    const seen: (string | undefined)[] = [];
    const p = await start({
      cert: files(def),
      sni: { '*.example.com': files(wild) },
      callbacks: {
        async certificateCallback(hello) {
          seen.push(hello.servername);
          // The handshake is matched to its connection: the peer is known.
          if (hello.peer?.kind !== 'inet' || hello.peer.address !== '127.0.0.1')
            throw new Error('no peer');
          await new Promise((r) => setTimeout(r, 5));
          if (hello.servername === 'dynamic.test') return chosen;
          if (hello.servername === 'fail.test') throw new Error('no certificate for you');
          return undefined;
        },
      },
    });
    expect(await servedSerial(p, 'dynamic.test')).toBe(api.serial);
    expect(await servedSerial(p, 'dynamic.test')).toBe(api.serial);
    expect(await servedSerial(p, 'x.example.com')).toBe(wild.serial);
    expect(await servedSerial(p, 'other.test')).toBe(def.serial);
    await expect(servedSerial(p, 'fail.test')).rejects.toThrow();
    expect(seen).toEqual([
      'dynamic.test',
      'dynamic.test',
      'x.example.com',
      'other.test',
      'fail.test',
    ]);
  });

  it('stores what the handshake-complete callback returns as digest.extension; a throw closes', async () => {
    const app = new DigestEcho();
    const service = new ListeningService('tls', app, {
      tlsBackend: opensslTlsBackend,
    }).addTlsWithSettings('127.0.0.1:0', {
      cert: files(def),
      watchFiles: false,
      callbacks: {
        async handshakeCompleteCallback(digest) {
          await new Promise((r) => setTimeout(r, 5));
          if (digest.sni === 'refuse.test') throw new Error('not today');
          return { tenant: digest.sni?.split('.')[0], version: digest.version };
        },
      },
    });
    run(service);
    const p = port((await service.listening)[0]);
    const c = await connectTls(p, { ca: ca.cert, servername: 'acme.test' });
    c.socket.destroy();
    expect(app.digests[0]?.extension).toEqual({ tenant: 'acme', version: 'TLSv1.3' });
    await expect(connectTls(p, { ca: ca.cert, servername: 'refuse.test' })).rejects.toThrow();
    expect(app.digests).toHaveLength(1);
  });

  it('refuses to start with a key that does not match its certificate, naming the key', async () => {
    const service = new ListeningService('bad', new DigestEcho(), {
      tlsBackend: opensslTlsBackend,
    }).addTlsWithSettings('127.0.0.1:0', tlsSettings(def.certPath, api.keyPath));
    run(service);
    await expect(service.listening).rejects.toThrow(/TLS cert/);
  });
});
