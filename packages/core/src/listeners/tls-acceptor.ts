/**
 * TlsAcceptor: what a TLS backend gives a TransportStack for one endpoint
 * (Pingora's listeners::tls Acceptor): it runs the server handshake on an
 * admitted socket, reloads its certificates, and stops. A TlsBackend builds
 * acceptors from TlsSettings; it is passed to the ListeningService
 * (`tlsBackend`), as the connectors take their UpstreamTls: `@pingora-ts/tls-openssl`
 * provides both, and `httpProxyService` wires both.
 */
import type { Socket } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import type { SocketAddr } from '../l4/socket-addr.ts';
import type { TlsDigest } from '../protocols/tls/digest.ts';
import type { TlsSettings } from './tls-settings.ts';

/** Why a handshake failed, for logs and the failures-by-reason metric. */
export const TlsFailureReason = {
  /** The client did not finish within the handshake timeout. */
  Timeout: 'timeout',
  /** The client closed or reset the connection mid-handshake. */
  ClientClosed: 'client_closed',
  /** No common protocol version (e.g. a TLS 1.1 client). */
  Version: 'version',
  /** No common cipher suite or group. */
  Cipher: 'cipher',
  /** No common ALPN protocol (node:tls sends a fatal alert). */
  Alpn: 'alpn',
  /** A required client certificate was missing or did not verify. */
  ClientCert: 'client_cert',
  /** The verify callback rejected the client certificate. */
  Rejected: 'rejected',
  /** No certificate for the name (certificate callback failed or returned none). */
  Certificate: 'certificate',
  /** Too many handshakes in flight on the endpoint (`maxHandshakes`): refused at once. */
  Overload: 'overload',
  /** Not TLS, or a malformed record. */
  Protocol: 'protocol',
  /** Anything else. */
  Other: 'other',
} as const;
export type TlsFailureReason = (typeof TlsFailureReason)[keyof typeof TlsFailureReason];

/** The outcome of one handshake: exactly one call per accepted socket. */
export interface TlsAcceptCallbacks {
  /** The handshake is done: `socket` (the TLS socket) carries the decrypted bytes. */
  onSecure(socket: Socket, digest: TlsDigest): void;
  /** The handshake failed; the socket is already destroyed. */
  onFailed(error: PingoraError, reason: TlsFailureReason): void;
}

export interface TlsAcceptor {
  /**
   * Runs the server handshake over `socket` (admitted, never read from) and
   * reports through `callbacks` exactly once, within the handshake timeout.
   */
  accept(socket: Socket, peer: SocketAddr | undefined, callbacks: TlsAcceptCallbacks): void;
  /**
   * Re-reads the certificate, key and CA files. New handshakes use them,
   * open connections keep theirs. A file that does not load keeps the old
   * certificate in use and rejects with a ConfigError naming the file.
   */
  reload(): Promise<void>;
  /** Stops file watching and any timer; handshakes in flight are left to finish or time out. */
  close(): void;
}

/** Who an acceptor works for, for its logs. */
export interface TlsAcceptorEnv {
  readonly service: string;
  readonly endpoint: string;
  readonly logger: Logger;
}

export interface TlsBackend {
  /** `openssl` for node:tls. */
  readonly name: string;
  /** Loads the certificates and builds the acceptor; throws a ConfigError on bad settings or files. */
  createAcceptor(settings: TlsSettings, env: TlsAcceptorEnv): TlsAcceptor;
}

/** The refusal of a TLS endpoint on a service built without a backend. */
export function noTlsBackend(service: string): PingoraError {
  return PingoraError.explain(
    ErrorType.ConfigError,
    `${service}: TLS listeners need a TLS backend: pass tlsBackend in the ListeningService options (opensslTlsBackend from '@pingora-ts/tls-openssl'; httpProxyService passes it)`,
  );
}
