/**
 * Test certificates made at test time with the openssl CLI in a temporary
 * directory (nothing is checked in): `selfSignedCert`, one self-signed ECDSA
 * P-256 certificate for a DNS name and 127.0.0.1; `makeCerts`, a small PKI (a
 * CA, an unrelated CA, a server certificate signed by the first, ECDSA or RSA,
 * and a client certificate for mutual TLS). Shared by every package's tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `fill(ssl, path)` in a fresh temp dir with the openssl CLI, removed afterwards. */
function inTempDir<T>(
  prefix: string,
  fill: (ssl: (...args: string[]) => void, f: (name: string) => string) => T,
): T {
  if (!hasOpenssl()) {
    throw new Error(
      'the openssl CLI is missing: install the openssl package (apt-get install openssl)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
  };
  try {
    return fill(ssl, (name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Key options for `openssl req -newkey`. */
function keyArgs(kind: 'ec' | 'rsa'): string[] {
  return kind === 'ec'
    ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    : ['-newkey', 'rsa:2048'];
}

/** `openssl req -x509`: a self-signed ECDSA P-256 certificate valid two days. */
function selfSigned(
  ssl: (...args: string[]) => void,
  keyOut: string,
  certOut: string,
  subject: string,
  ...more: string[]
): void {
  ssl(
    'req',
    '-x509',
    ...keyArgs('ec'),
    '-nodes',
    '-keyout',
    keyOut,
    '-out',
    certOut,
    '-days',
    '2',
    '-subj',
    subject,
    ...more,
  );
}

/** A self-signed ECDSA P-256 certificate for `name` (default localhost) and 127.0.0.1. */
export function selfSignedCert(name = 'localhost'): { key: string; cert: string } {
  return inTempDir('test-tls-', (ssl, f) => {
    selfSigned(
      ssl,
      f('key.pem'),
      f('cert.pem'),
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name},IP:127.0.0.1`,
    );
    return { key: readFileSync(f('key.pem'), 'utf8'), cert: readFileSync(f('cert.pem'), 'utf8') };
  });
}

export interface TestCerts {
  readonly ca: string;
  /** A CA that signed nothing here: trusting only it must fail verification. */
  readonly otherCa: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * A CA and an unrelated CA; a server certificate for `serverName` (default
 * localhost) and 127.0.0.1 (ECDSA P-256 or RSA-2048) and a client
 * certificate, both signed by the first.
 */
export function makeCerts(serverKey: 'ec' | 'rsa' = 'ec', serverName = 'localhost'): TestCerts {
  return inTempDir('pingora-ts-certs-', (ssl, f) => {
    for (const ca of ['ca', 'other-ca']) {
      selfSigned(ssl, f(`${ca}.key`), f(`${ca}.crt`), `/CN=pingora-ts ${ca}`);
    }
    for (const [who, kind, subject, ext] of [
      ['server', serverKey, `/CN=${serverName}`, `subjectAltName=DNS:${serverName},IP:127.0.0.1`],
      ['client', 'ec', '/CN=pingora-ts client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      ssl(
        'req',
        ...keyArgs(kind),
        '-nodes',
        '-keyout',
        f(`${who}.key`),
        '-out',
        f(`${who}.csr`),
        '-subj',
        subject,
      );
      writeFileSync(f(`${who}.ext`), `${ext}\n`);
      ssl(
        'x509',
        '-req',
        '-in',
        f(`${who}.csr`),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f(`${who}.crt`),
        '-days',
        '2',
        '-extfile',
        f(`${who}.ext`),
      );
    }
    const read = (name: string): string => readFileSync(f(name), 'latin1');
    return {
      ca: read('ca.crt'),
      otherCa: read('other-ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
    };
  });
}
