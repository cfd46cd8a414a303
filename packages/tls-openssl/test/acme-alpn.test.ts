/**
 * ACME tls-alpn-01 through the listener (TlsAccept.acmeChallengeCertificate):
 * a handshake offering `acme-tls/1` negotiates it and gets the pending
 * challenge certificate, or fails when none is pending; every other
 * handshake keeps the listener's own ALPN and certificates.
 */
import { ListenerAlpn, ListeningService, tlsSettings } from '@pingora-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { opensslTlsBackend } from '../src/index.ts';
import { connectTls, DigestEcho, port, run, stopRunsAfterEach } from './utils/harness.ts';
import { TestPki } from './utils/pki.ts';

stopRunsAfterEach();
const pki = new TestPki();
afterAll(() => pki.cleanup());
const ca = pki.ca();
const def = pki.leaf(ca, ['default.test']);
const challenge = pki.leaf(ca, ['pending.test']);
const challengeCert = { cert: challenge.cert, key: challenge.key };

async function start(alpn: ListenerAlpn | undefined): Promise<{ p: number; asked: string[] }> {
  const asked: string[] = [];
  const service = new ListeningService('acme', new DigestEcho(), {
    tlsBackend: opensslTlsBackend,
  }).addTlsWithSettings(
    '127.0.0.1:0',
    tlsSettings(def.certPath, def.keyPath, {
      ...(alpn === undefined ? {} : { alpn }),
      watchFiles: false,
      callbacks: {
        acmeChallengeCertificate(name) {
          asked.push(name);
          return name === 'pending.test' ? challengeCert : undefined;
        },
      },
    }),
  );
  run(service);
  const [addr] = await service.listening;
  return { p: port(addr), asked };
}

describe('tls-alpn-01 in the listener', () => {
  for (const alpn of [undefined, ListenerAlpn.H1, ListenerAlpn.H2H1]) {
    it(`answers acme-tls/1 with the challenge certificate (listener alpn ${alpn ?? 'none'})`, async () => {
      const { p, asked } = await start(alpn);
      const c = await connectTls(p, {
        servername: 'pending.test',
        ALPNProtocols: ['acme-tls/1'],
        rejectUnauthorized: false,
      });
      expect(c.socket.alpnProtocol).toBe('acme-tls/1');
      expect(c.socket.getPeerX509Certificate()?.serialNumber).toBe(challenge.serial);
      c.socket.destroy();
      // No challenge pending for that name: the validation handshake fails.
      await expect(
        connectTls(p, { servername: 'other.test', ALPNProtocols: ['acme-tls/1'] }),
      ).rejects.toThrow();
      expect(asked).toEqual(['pending.test', 'other.test']);
      // Ordinary clients never see the challenge certificate nor call the hook.
      const plain = await connectTls(p, {
        servername: 'pending.test',
        ALPNProtocols: ['http/1.1'],
        rejectUnauthorized: false,
      });
      expect(plain.socket.getPeerX509Certificate()?.serialNumber).toBe(def.serial);
      expect(plain.socket.alpnProtocol).toBe(alpn === undefined ? false : 'http/1.1');
      plain.socket.destroy();
      expect(asked).toHaveLength(2);
    });
  }
});
