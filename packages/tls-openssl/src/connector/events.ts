/**
 * diagnostics_channel events of the upstream TLS connector
 * (`pingora-ts:tls-openssl:upstream-<event>`); a message is built only when
 * someone subscribes. The prometheus package can turn them into metrics.
 */
import { channel } from 'node:diagnostics_channel';
import type { Peer, UpstreamTlsDigest } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';

/** A SecureContext was built for a new combination of peer TLS settings. */
export interface UpstreamContextEvent {
  /** The settings key (CA and client-certificate fingerprints, curves). */
  readonly key: string;
  /** Milliseconds spent building it. */
  readonly ms: number;
}

/** A handshake with an upstream completed. */
export interface UpstreamHandshakeEvent {
  readonly peer: Peer;
  readonly digest: UpstreamTlsDigest;
}

/** A handshake with an upstream failed. */
export interface UpstreamHandshakeErrorEvent {
  readonly peer: Peer;
  readonly error: PingoraError;
}

export const upstreamTlsChannels = {
  context: channel('pingora-ts:tls-openssl:upstream-context'),
  handshake: channel('pingora-ts:tls-openssl:upstream-handshake'),
  handshakeError: channel('pingora-ts:tls-openssl:upstream-handshake-error'),
} as const;
