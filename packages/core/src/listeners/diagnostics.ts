/**
 * diagnostics_channel channels of the listeners: a connection accepted,
 * denied by the ConnectionFilter, or closed. Publishing is skipped when no one
 * subscribes, so the hot path pays one property read.
 */
import { channel } from 'node:diagnostics_channel';
import type { SocketAddr } from '../l4/socket-addr.ts';

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
