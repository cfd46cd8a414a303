/**
 * Client certificates (mTLS) over real handshakes: required, optional and
 * none; a certificate from another CA refused in both modes; the verified
 * certificate (subject, SANs, serial, fingerprint) in the digest; and the
 * verify callback for custom rules.
 */
import { X509Certificate } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ClientCertMode, ListeningService, type TlsSettings } from '@pingora-ts/core';
import {
  type TlsHandshakeFailedEvent,
  tlsHandshakeFailedChannel,
} from '@pingora-ts/core/diagnostics';
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
const reasons: string[] = [];
const onFailed = (e: unknown) => reasons.push((e as TlsHandshakeFailedEvent).reason);
subscribe(tlsHandshakeFailedChannel.name, onFailed);
afterAll(() => unsubscribe(tlsHandshakeFailedChannel.name, onFailed));

async function reasonsSoon(n: number): Promise<string[]> {
  for (let i = 0; i < 100 && reasons.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return reasons.splice(0);
}
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const otherCa = pki.ca('another CA');
const server = pki.leaf(ca, ['localhost']);
const client = pki.leaf(ca, ['client-1.internal'], { client: true, cn: 'client-1', org: 'Acme' });
const stranger = pki.leaf(otherCa, [], { client: true, cn: 'stranger' });
const forged = pki.selfSigned('client-1');

async function start(more: Partial<TlsSettings>) {
  const service = new ListeningService('mtls', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings('127.0.0.1:0', {
    cert: { certPath: server.certPath, keyPath: server.keyPath },
    clientCa: { path: ca.certPath },
    watchFiles: false,
    ...more,
  });
  run(service);
  return port((await service.listening)[0]);
}

const withCert = (c: { cert: Buffer; key: Buffer }) => ({ ca: ca.cert, cert: c.cert, key: c.key });

describe('mTLS', () => {
  it('required: serves a verified client and puts its certificate in the digest', async () => {
    const p = await start({ clientCert: ClientCertMode.Required });
    const c = await connectTls(p, withCert(client));
    const cc = c.digest.clientCert;
    expect(cc).toMatchObject({
      commonName: 'client-1',
      organization: 'Acme',
      subject: 'CN=client-1, O=Acme',
      sans: ['DNS:client-1.internal'],
      serial: client.serial,
      authorized: true,
    });
    expect(cc?.fingerprint256).toBe(new X509Certificate(client.cert).fingerprint256);
    expect(cc?.issuer).toBe('CN=pingora-ts test CA');
    c.socket.destroy();
  });

  it('required: refuses a client without a certificate, from another CA, or self-signed', async () => {
    const p = await start({ clientCert: ClientCertMode.Required });
    reasons.length = 0;
    expect(await handshakeOutcome(p, { ca: ca.cert })).toMatch(
      /CERTIFICATE_REQUIRED|ECONNRESET|CLOSED/,
    );
    expect(await handshakeOutcome(p, withCert(stranger))).toBeDefined();
    expect(await handshakeOutcome(p, withCert(forged))).toBeDefined();
    expect(await handshakeOutcome(p, withCert(client))).toBeUndefined();
    expect(await reasonsSoon(3)).toEqual(['client_cert', 'client_cert', 'client_cert']);
  });

  it('optional: serves clients with no certificate, refuses ones that do not verify', async () => {
    const p = await start({ clientCert: ClientCertMode.Optional });
    const anonymous = await connectTls(p, { ca: ca.cert });
    expect(anonymous.digest.clientCert).toBeUndefined();
    anonymous.socket.destroy();
    const known = await connectTls(p, withCert(client));
    expect(known.digest.clientCert?.commonName).toBe('client-1');
    known.socket.destroy();
    reasons.length = 0;
    expect(await handshakeOutcome(p, withCert(stranger))).toBeDefined();
    expect(await reasonsSoon(1)).toEqual(['client_cert']);
  });

  it('none: does not ask for a certificate', async () => {
    const p = await start({ clientCert: ClientCertMode.None });
    const c = await connectTls(p, withCert(client));
    expect(c.digest.clientCert).toBeUndefined();
    c.socket.destroy();
  });

  it('runs the verify callback on verified certificates; false or a throw closes the connection', async () => {
    const seen: string[] = [];
    reasons.length = 0;
    const p = await start({
      clientCert: ClientCertMode.Required,
      async verifyClient(cert) {
        seen.push(cert.commonName ?? '');
        if (cert.organization === 'Evil') throw new Error('evil');
        return cert.sans.includes('DNS:client-1.internal');
      },
    });
    expect(await handshakeOutcome(p, withCert(client))).toBeUndefined();
    const other = pki.leaf(ca, ['client-2.internal'], { client: true, cn: 'client-2' });
    expect(await handshakeOutcome(p, withCert(other))).toBeDefined();
    const evil = pki.leaf(ca, ['client-1.internal'], { client: true, cn: 'client-3', org: 'Evil' });
    expect(await handshakeOutcome(p, withCert(evil))).toBeDefined();
    expect(seen).toEqual(['client-1', 'client-2', 'client-3']);
    expect((await reasonsSoon(2)).filter((r) => r === 'rejected')).toHaveLength(2);
  });

  it('rejects clientCert required without a CA bundle at configuration time', () => {
    expect(() =>
      new ListeningService('x', new DigestEcho(), {
        tlsBackend: opensslTlsBackend,
      }).addTlsWithSettings('127.0.0.1:0', {
        cert: { certPath: server.certPath, keyPath: server.keyPath },
        clientCert: ClientCertMode.Required,
      }),
    ).toThrow(/clientCa is required/);
  });
});
