/**
 * The upstream TLS digest read off a node:tls socket once its handshake is
 * done: version, cipher, ALPN, SNI, whether the session was resumed, and the
 * upstream's certificate in core's certificate shape (for a resumed session,
 * the one verified when the session was made).
 */
import type { TLSSocket } from 'node:tls';
import type { TlsClientCert, UpstreamTlsDigest } from '@pingora-ts/core';
import { describeCert } from '../listener/tls-digest.ts';

export function upstreamDigest(
  socket: TLSSocket,
  sni: string | undefined,
  handshakeMs: number,
  resumedCert: TlsClientCert | undefined,
): UpstreamTlsDigest {
  const alpn = socket.alpnProtocol;
  const resumed = socket.isSessionReused();
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? 'unknown',
    alpn: typeof alpn === 'string' ? alpn : undefined,
    sni,
    resumed,
    peerCert: peerCertOf(socket) ?? (resumed ? resumedCert : undefined),
    handshakeMs,
  };
}

/** The upstream's certificate as the handshake saw it, undefined when there is none. */
export function peerCertOf(socket: TLSSocket): TlsClientCert | undefined {
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) return undefined;
  return describeCert(x509, socket.authorized, socket.authorizationError as unknown);
}
