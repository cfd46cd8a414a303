/**
 * Hostname verification for upstream certificates: the certificate must name
 * one of the peer's accepted names (its SNI or dialled IP, its alternative
 * CN, their underscore-free forms), checked with node:tls's RFC 6125 rules.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Peer } from '@pingora-ts/core';
import { acceptedNames } from '@pingora-ts/core/connectors';

type IdentityCheck = (host: string, cert: PeerCertificate) => Error | undefined;

const skip: IdentityCheck = () => undefined;

/** The checkServerIdentity callback for a connection to `peer`. */
export function identityCheck(peer: Peer): IdentityCheck {
  if (!peer.options.verifyCert || !peer.options.verifyHostname) return skip;
  const names = acceptedNames(peer);
  return (_host, cert) => {
    let first: Error | undefined;
    for (const name of names) {
      const mismatch = checkServerIdentity(name, cert);
      if (mismatch === undefined) return undefined;
      first ??= mismatch;
    }
    const error = new Error(
      names.length === 0
        ? 'no name to verify the certificate against (set an SNI or turn verifyHostname off)'
        : `certificate does not name ${names.join(' or ')}: ${first?.message ?? ''}`,
    );
    // The code Node gives a name mismatch, so it maps to InvalidCert.
    (error as Error & { code: string }).code = 'ERR_TLS_CERT_ALTNAME_INVALID';
    return error;
  };
}
