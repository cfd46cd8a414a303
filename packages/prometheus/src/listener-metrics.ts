/**
 * Downstream connection metrics from core's listener events
 * (`pingora-ts:core:connection-accepted`, `-denied`, `-closed`): totals and
 * the connections open now per service and endpoint, and how long
 * connections lasted per service.
 */
import {
  type ConnectionClosedEvent,
  type ConnectionEvent,
  connectionAcceptedChannel,
  connectionClosedChannel,
  connectionDeniedChannel,
} from '@pingora-ts/core/diagnostics';
import type { MetricSet } from './metric-set.ts';
import { SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';
import { type HistogramRecord, histogramRecord, observe } from './table-histogram.ts';

interface ListenerSeries {
  readonly labels: { readonly service: string; readonly endpoint: string };
  accepted: number;
  denied: number;
  closed: number;
  open: number;
}

/** Connection lifetimes span milliseconds (one request) to hours (keep-alive, tunnels). */
export const DEFAULT_CONNECTION_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600,
];

const LABELS = ['service', 'endpoint'];

export class ListenerMetrics {
  readonly #table: SeriesTable<ListenerSeries>;
  readonly #durations: SeriesTable<HistogramRecord>;
  readonly #bounds: Float64Array;

  constructor(set: MetricSet, maxSeries: number, buckets: readonly number[]) {
    this.#table = new SeriesTable(maxSeries, (service, endpoint) => ({
      labels: { service, endpoint },
      accepted: 0,
      denied: 0,
      closed: 0,
      open: 0,
    }));
    const t = this.#table;
    set.counter(
      'connections_accepted_total',
      'Downstream connections accepted by a listening service',
      LABELS,
      t,
      (s) => s.accepted,
    );
    set.counter(
      'connections_denied_total',
      'Downstream connections refused by the connection filter',
      LABELS,
      t,
      (s) => s.denied,
    );
    set.counter(
      'connections_closed_total',
      'Downstream connections closed after being served',
      LABELS,
      t,
      (s) => s.closed,
    );
    set.gauge(
      'connections_open',
      'Downstream connections being served now',
      LABELS,
      t,
      (s) => s.open,
    );
    const bounds = Float64Array.from(buckets);
    this.#bounds = bounds;
    this.#durations = new SeriesTable(maxSeries, (service) => histogramRecord({ service }, bounds));
    set.histogram(
      'connection_duration_seconds',
      'How long downstream connections were served',
      this.#durations,
      bounds,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [connectionAcceptedChannel.name, this.#onAccepted],
      [connectionDeniedChannel.name, this.#onDenied],
      [connectionClosedChannel.name, this.#onClosed],
    ];
  }

  readonly #onAccepted = (message: unknown): void => {
    const s = this.#series(message);
    if (s === undefined) return;
    s.accepted++;
    s.open++;
  };

  readonly #onDenied = (message: unknown): void => {
    const s = this.#series(message);
    if (s !== undefined) s.denied++;
  };

  readonly #onClosed = (message: unknown): void => {
    const s = this.#series(message);
    if (s === undefined) return;
    s.closed++;
    // A connection accepted before we subscribed must not drive the gauge below zero.
    if (s.open > 0) s.open--;
    const ms = (message as ConnectionClosedEvent).durationMs;
    if (typeof ms === 'number' && ms >= 0 && Number.isFinite(ms)) {
      observe(this.#durations.get(s.labels.service), this.#bounds, ms / 1000);
    }
  };

  /** The series of an event; undefined for a message that is not a connection event. */
  #series(message: unknown): ListenerSeries | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const { service, endpoint } = message as ConnectionEvent;
    if (typeof service !== 'string' || typeof endpoint !== 'string') return undefined;
    return this.#table.get(service, endpoint);
  }
}
