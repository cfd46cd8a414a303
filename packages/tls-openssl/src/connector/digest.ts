/**
 * The upstream TLS digest read off a node:tls socket once its handshake is
 * done: version, cipher, ALPN, SNI, whether the session was resumed, and a
 * summary of the upstream's certificate (for a resumed session, the one
 * verified when the session was made).
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { UpstreamCertSummary, UpstreamTlsDigest } from '@pingora-ts/core';

export function upstreamDigest(
  socket: TLSSocket,
  sni: string | undefined,
  handshakeMs: number,
  resumedCert: UpstreamCertSummary | undefined,
): UpstreamTlsDigest {
  const alpn = socket.alpnProtocol;
  const resumed = socket.isSessionReused();
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? 'unknown',
    alpn: typeof alpn === 'string' ? alpn : undefined,
    sni,
    resumed,
    peerCert: certSummary(socket.getPeerCertificate()) ?? (resumed ? resumedCert : undefined),
    handshakeMs,
  };
}

/** A summary of `cert` (as getPeerCertificate returns it), undefined for none. */
export function certSummary(cert: PeerCertificate | undefined): UpstreamCertSummary | undefined {
  // Node returns an empty object when there is no certificate.
  if (cert === undefined || cert.fingerprint256 === undefined) return undefined;
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    subjectAltName: cert.subjectaltname ?? '',
    validTo: cert.valid_to,
  };
}

function distinguishedName(name: object | undefined): string {
  if (name === undefined) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(name as Record<string, string | string[] | undefined>)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${k}=${one}`);
  }
  return parts.join(', ');
}
