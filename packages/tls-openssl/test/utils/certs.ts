/**
 * Test certificates made at test time with the openssl CLI into a temp dir:
 * a CA and a second, unrelated CA; a server certificate for localhost and
 * 127.0.0.1 (ECDSA P-256 or RSA-2048) signed by the first; a client
 * certificate for mutual TLS. Nothing is checked in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  readonly ca: string;
  /** A CA that signed nothing here: trusting only it must fail verification. */
  readonly otherCa: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Key options for `openssl req -newkey`. */
function keyArgs(kind: 'ec' | 'rsa'): string[] {
  return kind === 'ec'
    ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    : ['-newkey', 'rsa:2048'];
}

export function makeCerts(serverKey: 'ec' | 'rsa' = 'ec'): TestCerts {
  if (!hasOpenssl()) {
    throw new Error(
      'the openssl CLI is missing: install the openssl package (apt-get install openssl)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-upstream-certs-'));
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore', timeout: 20_000 });
  };
  try {
    for (const ca of ['ca', 'other-ca']) {
      ssl(
        'req',
        '-x509',
        ...keyArgs('ec'),
        '-nodes',
        '-keyout',
        f(`${ca}.key`),
        '-out',
        f(`${ca}.crt`),
        '-days',
        '2',
        '-subj',
        `/CN=pingora-ts ${ca}`,
      );
    }
    for (const [who, kind, subject, ext] of [
      ['server', serverKey, '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
