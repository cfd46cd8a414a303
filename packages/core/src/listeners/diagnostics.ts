/**
 * diagnostics_channel channels of the listeners: a connection accepted,
 * denied by the ConnectionFilter, or closed, and TLS handshakes done or
 * failed (by reason). Publishing is skipped when no one subscribes, so the
 * hot path pays one property read.
 */
import { channel } from 'node:diagnostics_channel';
import type { SocketAddr } from '../l4/socket-addr.ts';
import type { TlsFailureReason } from './tls-acceptor.ts';

export interface ConnectionEvent {
  readonly service: string;
  readonly endpoint: string;
  readonly peer: SocketAddr | undefined;
}

export interface ConnectionClosedEvent extends ConnectionEvent {
  /** How long the connection was served, in ms. */
  readonly durationMs: number;
}

export const connectionAcceptedChannel = channel('pingora-ts:core:connection-accepted');
export const connectionDeniedChannel = channel('pingora-ts:core:connection-denied');
export const connectionClosedChannel = channel('pingora-ts:core:connection-closed');

export interface TlsHandshakeEvent extends ConnectionEvent {
  /** `TLSv1.3`, `TLSv1.2`. */
  readonly version: string;
  /** The ALPN protocol agreed on, if any. */
  readonly alpn: string | undefined;
  /** True for a resumed session (ticket or session id). */
  readonly resumed: boolean;
  /** Handshake time in ms. */
  readonly durationMs: number;
}

export interface TlsHandshakeFailedEvent extends ConnectionEvent {
  readonly reason: TlsFailureReason;
  /** Time from the start of the handshake to the failure, in ms. */
  readonly durationMs: number;
  readonly error: Error;
}

export const tlsHandshakeChannel = channel('pingora-ts:core:tls-handshake');
export const tlsHandshakeFailedChannel = channel('pingora-ts:core:tls-handshake-failed');
