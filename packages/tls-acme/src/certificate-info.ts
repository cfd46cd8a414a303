/**
 * What the manager needs to know about an issued certificate: its serial
 * and validity window, read with node:crypto's X509Certificate; and when to
 * renew it (a fraction of its lifetime, two thirds by default).
 */
import { X509Certificate } from 'node:crypto';
import type { TlsCertKey } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { StoredCertificate } from './storage.ts';

export interface IssuedCertificate {
  /** The object handed to the TLS listener (one per certificate: its context is cached). */
  readonly certKey: TlsCertKey;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

export function issuedCertificate(stored: StoredCertificate, name: string): IssuedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(stored.cert);
  } catch (err) {
    throw PingoraError.because(ErrorType.InvalidCert, `ACME: the certificate of ${name}`, err);
  }
  if (!x509.checkHost(name)) {
    throw PingoraError.explain(ErrorType.InvalidCert, `ACME: the certificate is not for ${name}`);
  }
  return {
    certKey: { cert: stored.cert, key: stored.key },
    serial: x509.serialNumber,
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
  };
}

/** When to start renewing: `fraction` of the way from notBefore to notAfter. */
export function renewAt(cert: IssuedCertificate, fraction: number): number {
  return cert.notBefore + (cert.notAfter - cert.notBefore) * fraction;
}
