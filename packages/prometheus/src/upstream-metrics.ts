/**
 * Upstream connection metrics from core's connector events
 * (`pingora-ts:core:connector:*`): connections opened vs taken from the pool
 * per upstream address, the pool reuse ratio over all of them, and pooled
 * connections dropped unused, by reason.
 */

import { formatSocketAddr, type SocketAddr } from '@pingora-ts/core';
import {
  type ConnectorConnectEvent,
  type ConnectorDropEvent,
  connectorChannels,
} from '@pingora-ts/core/diagnostics';
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

interface PeerSeries {
  readonly labels: { readonly peer: string };
  opened: number;
  reused: number;
}

interface DropSeries {
  readonly labels: { readonly reason: string };
  count: number;
}

/** The drop reasons core reports; anything else is counted as `other`. */
const DROP_REASONS: ReadonlySet<string> = new Set([
  'evicted',
  'idle-timeout',
  'closed',
  'error',
  'unexpected-data',
]);

export class UpstreamMetrics {
  readonly #peers: SeriesTable<PeerSeries>;
  readonly #drops: SeriesTable<DropSeries>;
  /**
   * Series by address object: peers built from a Backend share its
   * SocketAddr, so the per-request reuse event costs no string formatting.
   */
  readonly #byAddr = new WeakMap<SocketAddr, PeerSeries>();

  constructor(set: MetricSet, maxSeries: number) {
    this.#peers = new SeriesTable(maxSeries, (peer) => ({
      labels: { peer },
      opened: 0,
      reused: 0,
    }));
    this.#drops = new SeriesTable(DROP_REASONS.size, (reason) => ({
      labels: { reason },
      count: 0,
    }));
    set.counter(
      'upstream_connections_opened_total',
      'Upstream connections established',
      ['peer'],
      this.#peers,
      (s) => s.opened,
    );
    set.counter(
      'upstream_connections_reused_total',
      'Upstream requests served on a pooled connection',
      ['peer'],
      this.#peers,
      (s) => s.reused,
    );
    set.gaugeFrom(
      'upstream_pool_reuse_ratio',
      'Upstream requests served on a pooled connection over all upstream requests (what Pingora reports as connection reuse); 0 before the first',
      [],
      (g) => {
        let opened = 0;
        let reused = 0;
        this.#peers.forEach((s) => {
          opened += s.opened;
          reused += s.reused;
        });
        g.set(opened + reused === 0 ? 0 : reused / (opened + reused));
      },
    );
    set.counter(
      'upstream_pool_drops_total',
      'Idle pooled upstream connections closed without reuse (evicted, idle timeout, closed by the upstream, error, unexpected data)',
      ['reason'],
      this.#drops,
      (s) => s.count,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [connectorChannels.new.name, this.#onNew],
      [connectorChannels.reuse.name, this.#onReuse],
      [connectorChannels.evict.name, this.#onDrop],
      [connectorChannels.idleClose.name, this.#onDrop],
      [connectorChannels.idleTimeout.name, this.#onDrop],
    ];
  }

  readonly #onNew = (message: unknown): void => {
    const s = this.#series(message);
    if (s !== undefined) s.opened++;
  };

  readonly #onReuse = (message: unknown): void => {
    const s = this.#series(message);
    if (s !== undefined) s.reused++;
  };

  readonly #onDrop = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const reason: unknown = (message as ConnectorDropEvent).reason;
    if (typeof reason !== 'string') return;
    this.#drops.get(DROP_REASONS.has(reason) ? reason : OVERFLOW_LABEL).count++;
  };

  #series(message: unknown): PeerSeries | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const address: unknown = (message as ConnectorConnectEvent).peer?.address;
    if (typeof address !== 'object' || address === null) return undefined;
    let s = this.#byAddr.get(address as SocketAddr);
    if (s === undefined) {
      if (!isSocketAddr(address)) return undefined;
      s = this.#peers.get(formatSocketAddr(address));
      this.#byAddr.set(address, s);
    }
    return s;
  }
}

function isSocketAddr(value: object): value is SocketAddr {
  const a = value as Partial<Record<'kind' | 'address' | 'path', unknown>>;
  if (a.kind === 'unix') return typeof a.path === 'string';
  return a.kind === 'inet' && typeof a.address === 'string';
}
