/**
 * Where upstream certificates are verified against when a peer brings no CA
 * of its own (Pingora's ConnectorOptions.ca_file, else the system's default
 * verify paths): the server conf's ca_file, else the operating system's
 * store (plus NODE_EXTRA_CA_CERTS), else Node's bundled Mozilla roots.
 */
import { readFileSync } from 'node:fs';
import { getCACertificates } from 'node:tls';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** Which roots to trust when neither the peer nor ca_file names any. */
export const TrustedRoots = {
  /** The operating system's store (as Pingora), falling back to Node's when it is empty. */
  System: 'system',
  /** Node's bundled Mozilla roots (cheapest: Node shares one store). */
  Bundled: 'bundled',
} as const;
export type TrustedRoots = (typeof TrustedRoots)[keyof typeof TrustedRoots];

/** PEM certificates to trust; undefined means Node's bundled roots (its default). */
export type TrustAnchors = readonly string[] | undefined;

/** Reads the ca_file bundle; a missing or certificate-less file is a ConfigError naming it. */
export function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'latin1');
  } catch (err) {
    throw PingoraError.because(ErrorType.ConfigError, `ca_file ${path} cannot be read`, err);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw PingoraError.explain(ErrorType.ConfigError, `ca_file ${path} holds no PEM certificate`);
  }
  return pem;
}

let systemAnchors: TrustAnchors | null = null;

/**
 * The system store plus NODE_EXTRA_CA_CERTS, read once per process (reading
 * and parsing it costs tens of milliseconds); undefined when it is empty.
 */
export function systemTrustAnchors(): TrustAnchors {
  if (systemAnchors !== null) return systemAnchors;
  const system = getCACertificates('system');
  systemAnchors =
    system.length === 0 ? undefined : Object.freeze([...system, ...getCACertificates('extra')]);
  return systemAnchors;
}
