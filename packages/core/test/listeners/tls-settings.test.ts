/**
 * The listener TLS settings core owns: validation naming the bad key,
 * Pingora's `intermediate` defaults through tlsSettings(), and addTls
 * on a service without a backend failing with what to pass.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import {
  ClientCertMode,
  ListeningService,
  type ServerApp,
  type TlsSettings,
  tlsSettings,
} from '../../src/index.ts';
import { checkTlsSettings } from '../../src/tls.ts';

const cert = { certPath: '/etc/tls/a.pem', keyPath: '/etc/tls/a.key' };

function refusal(settings: TlsSettings): string {
  try {
    checkTlsSettings(settings);
  } catch (err) {
    expect(PingoraError.is(err) && err.type === ErrorType.ConfigError).toBe(true);
    return (err as Error).message;
  }
  throw new TypeError('expected a ConfigError');
}

describe('TlsSettings', () => {
  it('tlsSettings(cert, key) is Pingora intermediate: the files, nothing else set', () => {
    expect(tlsSettings(cert.certPath, cert.keyPath)).toEqual({ cert });
    expect(tlsSettings(cert.certPath, cert.keyPath, { minVersion: 'TLSv1.3' })).toEqual({
      cert,
      minVersion: 'TLSv1.3',
    });
  });

  it('refuses bad values, naming the key', () => {
    expect(refusal({})).toMatch(/cert is required unless a certificate callback is set/);
    expect(checkTlsSettings({ callbacks: { certificateCallback: () => undefined } })).toBeDefined();
    expect(refusal({ cert, sni: { 'bad name': cert } })).toMatch(
      /sni\.bad name is not a server name/,
    );
    expect(refusal({ cert, sni: { '*.*.example.com': cert } })).toMatch(/not a server name/);
    expect(
      checkTlsSettings({ cert, sni: { '*.example.com': cert, 'a.example.com': cert } }),
    ).toBeDefined();
    expect(refusal({ cert, minVersion: 'TLSv1.1' as never })).toMatch(
      /minVersion must be TLSv1.2 or TLSv1.3/,
    );
    expect(refusal({ cert, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' })).toMatch(
      /above maxVersion/,
    );
    expect(refusal({ cert, alpn: 'spdy' as never })).toMatch(/alpn must be h1, h2 or h2h1/);
    expect(refusal({ cert, clientCert: ClientCertMode.Required })).toMatch(/clientCa is required/);
    expect(refusal({ cert, clientCert: 'maybe' as never })).toMatch(/clientCert must be none/);
    expect(refusal({ cert, ciphers: '' })).toMatch(/ciphers must be a non-empty string/);
    expect(refusal({ cert, handshakeTimeoutMs: 0 })).toMatch(
      /handshakeTimeoutMs must be an integer/,
    );
    expect(refusal({ cert, sessionCacheSize: -1 })).toMatch(/sessionCacheSize/);
    expect(refusal({ cert: { certPath: '', keyPath: 'k' } })).toMatch(
      /cert\.certPath must be a path/,
    );
  });

  it('addTls without a TLS backend says what to pass', () => {
    const app: ServerApp = { processNewConnection: () => undefined };
    expect(() => new ListeningService('x', app).addTls('127.0.0.1:0', 'a.pem', 'a.key')).toThrow(
      /x: TLS listeners need a TLS backend: pass tlsBackend .*opensslTlsBackend/,
    );
    const backend = { name: 'test', createAcceptor: () => ({}) as never };
    const service = new ListeningService('x', app, { tlsBackend: backend }).addTls(
      '127.0.0.1:0',
      'a.pem',
      'a.key',
    );
    expect(service.endpoints[0]).toMatchObject({
      kind: 'tcp',
      tls: { cert: { certPath: 'a.pem' } },
    });
  });
});
