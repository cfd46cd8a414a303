/**
 * The certificates of the TLS section: one self-signed certificate for
 * localhost and 127.0.0.1 per key type (ECDSA P-256, RSA-2048), made with the
 * openssl CLI in the run's temp dir. Our gateway and nginx terminate TLS with
 * the very same files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CertKind = {
  Ecdsa: 'ecdsa',
  Rsa: 'rsa',
} as const;
export type CertKind = (typeof CertKind)[keyof typeof CertKind];

export const CERT_LABELS: Readonly<Record<CertKind, string>> = {
  ecdsa: 'ECDSA P-256',
  rsa: 'RSA-2048',
};

export interface TlsCert {
  readonly kind: CertKind;
  readonly certPath: string;
  readonly keyPath: string;
}

export function makeCert(dir: string, kind: CertKind): TlsCert {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${kind}.crt`);
  const keyPath = join(dir, `${kind}.key`);
  const key =
    kind === CertKind.Ecdsa
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...key,
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '7',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { kind, certPath, keyPath };
}
