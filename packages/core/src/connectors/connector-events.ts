/**
 * Connector counters and diagnostics_channel events
 * (`pingora-ts:core:connector:<event>`). Counters are plain numeric fields;
 * an event message is built only when someone subscribes to its channel.
 */
import { channel } from 'node:diagnostics_channel';
import type { PoolDropReason } from '@pingora-ts/pool';
import type { Peer } from '../upstreams/peer.ts';

/** A connection was opened (`new`) or taken from the pool (`reuse`). */
export interface ConnectorConnectEvent {
  readonly peer: Peer;
}

/** A pooled connection was dropped without being reused. */
export interface ConnectorDropEvent {
  readonly reason: PoolDropReason;
  /** The reuse hash of the peer the connection was for. */
  readonly key: string;
}

export const connectorChannels = {
  /** A new upstream connection was established. */
  new: channel('pingora-ts:core:connector:new'),
  /** An idle pooled connection was handed out. */
  reuse: channel('pingora-ts:core:connector:reuse'),
  /** The pool evicted an idle connection to stay under its size limit. */
  evict: channel('pingora-ts:core:connector:evict'),
  /** An idle connection was closed by the upstream, failed, or received bytes. */
  idleClose: channel('pingora-ts:core:connector:idle-close'),
  /** An idle connection reached the peer's idle timeout. */
  idleTimeout: channel('pingora-ts:core:connector:idle-timeout'),
} as const;

/** Running totals of one connector. */
export interface ConnectorStats {
  /** Connections established. */
  newConnections: number;
  /** Connections handed out from the pool. */
  reusedConnections: number;
  /** Idle connections evicted by the pool size limit. */
  evictions: number;
  /** Idle connections the upstream closed (or that failed) while pooled. */
  idleCloses: number;
  /** Idle connections on which the upstream sent bytes (a protocol violation). */
  unexpectedData: number;
  /** Idle connections closed at their idle timeout. */
  idleTimeouts: number;
  /** Released connections that could not be pooled (not reusable, pooling off, or full of data). */
  notPooled: number;
}

export function newConnectorStats(): ConnectorStats {
  return {
    newConnections: 0,
    reusedConnections: 0,
    evictions: 0,
    idleCloses: 0,
    unexpectedData: 0,
    idleTimeouts: 0,
    notPooled: 0,
  };
}

/** Counts a pool drop and publishes its event if anyone listens. */
export function recordDrop(stats: ConnectorStats, reason: PoolDropReason, key: string): void {
  switch (reason) {
    case 'evicted':
      stats.evictions++;
      if (connectorChannels.evict.hasSubscribers) connectorChannels.evict.publish({ reason, key });
      return;
    case 'idle-timeout':
      stats.idleTimeouts++;
      if (connectorChannels.idleTimeout.hasSubscribers) {
        connectorChannels.idleTimeout.publish({ reason, key });
      }
      return;
    case 'unexpected-data':
    case 'closed':
    case 'error':
      if (reason === 'unexpected-data') stats.unexpectedData++;
      else stats.idleCloses++;
      if (connectorChannels.idleClose.hasSubscribers) {
        connectorChannels.idleClose.publish({ reason, key });
      }
      return;
    default:
      // 'pool-closed': the connector itself is shutting down; nothing to count.
      return;
  }
}
