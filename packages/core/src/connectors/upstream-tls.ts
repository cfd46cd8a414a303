/**
 * The upstream TLS seam (Pingora's connectors/tls): core owns the interface a
 * TLS backend implements to secure a connected socket to a peer, the digest it
 * reports, and the backend-neutral rules (the SNI to send, the names a
 * certificate may match, the key of a peer's TLS settings). `@pingora-ts/tls-openssl`
 * implements it with node:tls; core imports no backend.
 */
import { isIP, type Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import type { TlsClientCert } from '../protocols/tls/digest.ts';
import type { Peer } from '../upstreams/peer.ts';
import type { ALPN } from '../upstreams/peer-options.ts';
import { pemFingerprint } from '../upstreams/pem-fingerprint.ts';

/** What an upstream TLS handshake negotiated (Pingora's SslDigest, client side). */
export interface UpstreamTlsDigest {
  /** e.g. `TLSv1.3`. */
  readonly version: string;
  /** e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The ALPN protocol chosen by the upstream (`h2`, `http/1.1`), undefined when none. */
  readonly alpn: string | undefined;
  /** The SNI sent, undefined when none. */
  readonly sni: string | undefined;
  /** True when the handshake resumed a cached session (no full handshake). */
  readonly resumed: boolean;
  /**
   * The upstream's certificate (Pingora's SslDigest organization, serial and
   * cert digest), in the same shape as a downstream client certificate;
   * `authorized` says whether it verified (false only with verifyCert off).
   */
  readonly peerCert: TlsClientCert | undefined;
  /** Milliseconds the handshake took. */
  readonly handshakeMs: number;
}

/** A socket secured by an UpstreamTls, with what was negotiated. */
export interface UpstreamTlsStream {
  /** The TLS socket to speak the application protocol on. */
  readonly socket: Socket;
  readonly digest: UpstreamTlsDigest;
}

/** One handshake to run: where, with what, within how long. */
export interface UpstreamTlsRequest {
  /** The connected (possibly CONNECT-tunnelled) socket to run TLS over. */
  readonly socket: Socket;
  readonly peer: Peer;
  /** The ALPN to offer; a connector may narrow the peer's (HTTP/1 offers only http/1.1). */
  readonly alpn: ALPN;
  /** Limit on the handshake in milliseconds. */
  readonly timeoutMs: number;
  /** Error context (`connecting to <peer>`). */
  readonly context: string;
}

/**
 * A TLS backend for connectors. `handshake` resolves once the connection is
 * secure and verified per the peer's options; on failure it destroys the
 * socket and rejects with an Upstream PingoraError (InvalidCert,
 * TLSHandshakeFailure, TLSHandshakeTimedout) whose context names the peer.
 */
export interface UpstreamTls {
  handshake(request: UpstreamTlsRequest): Promise<UpstreamTlsStream>;
}

/** The protocol names offered in ALPN for each setting, most preferred first. */
export const ALPN_PROTOCOLS: Readonly<Record<ALPN, readonly string[]>> = {
  h1: ['http/1.1'],
  h2: ['h2'],
  h2h1: ['h2', 'http/1.1'],
};

/**
 * The SNI to send: none when the peer's SNI is empty (as Pingora), nor for an
 * IP literal (RFC 6066 forbids it; Node refuses it).
 */
export function sniFor(peer: Peer): string | undefined {
  return peer.sni === '' || isIP(peer.sni) !== 0 ? undefined : peer.sni;
}

/**
 * The names the upstream's certificate may match: the SNI (else the IP
 * address dialled), the alternative CN, and each with underscores in its
 * leftmost label replaced by hyphens (Pingora does the same for OpenSSL).
 *
 * Unlike Pingora, which turns verification off when the SNI is empty (as
 * nginx does), an empty SNI here still verifies the chain and checks the
 * certificate against the peer's IP address.
 */
export function acceptedNames(peer: Peer): string[] {
  const names: string[] = [];
  const add = (name: string): void => {
    if (name === '') return;
    names.push(name);
    const alt = replaceLeftmostUnderscore(name);
    if (alt !== undefined) names.push(alt);
  };
  if (peer.sni !== '') add(peer.sni);
  else if (peer.address.kind === 'inet') add(peer.address.address);
  const cn = peer.options.alternativeCn;
  if (cn !== undefined) add(cn);
  return names;
}

/** `a_b.example.com` -> `a-b.example.com`; undefined when nothing changes or no subdomain. */
export function replaceLeftmostUnderscore(name: string): string | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const leftmost = name.slice(0, dot);
  const rest = name.slice(dot + 1);
  if (!rest.includes('.') || !leftmost.includes('_')) return undefined;
  return `${leftmost.replaceAll('_', '-')}.${rest}`;
}

/**
 * The part of a peer's settings that shapes a TLS context (trusted CAs,
 * client certificate, curves): peers with equal keys can share one context.
 * Verification flags, SNI and ALPN are per connection and not part of it.
 */
export function tlsContextKey(peer: Peer): string {
  const o = peer.options;
  return JSON.stringify([
    o.ca === undefined ? null : pemFingerprint(o.ca),
    peer.clientCert?.fingerprint ?? null,
    o.curves ?? null,
  ]);
}

/** The error for a TLS peer dialled by a connector given no TLS backend. */
export function noUpstreamTlsError(peer: Peer): PingoraError {
  return PingoraError.create(
    ErrorType.TLSHandshakeFailure,
    ErrorSource.Internal,
    'this connector has no TLS backend: pass `tls` (e.g. upstreamTls() from @pingora-ts/tls-openssl) to its options',
  ).moreContext(`connecting to ${peer.toString()}`);
}
