/**
 * TLS listener metrics from core's handshake events
 * (`pingora-ts:core:tls-handshake`, `-handshake-failed`): handshakes and
 * resumed handshakes per service and endpoint (resumption ratio = resumed /
 * total), handshakes per protocol version, failures by reason, and a
 * handshake duration histogram per service.
 */
import {
  type TlsHandshakeEvent,
  type TlsHandshakeFailedEvent,
  tlsHandshakeChannel,
  tlsHandshakeFailedChannel,
} from '@pingora-ts/core/diagnostics';
import type { MetricSet } from './metric-set.ts';
import { SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';
import { type HistogramRecord, histogramRecord, observe } from './table-histogram.ts';

interface CountSeries {
  readonly labels: Readonly<Record<string, string>>;
  count: number;
  resumed: number;
}

/** Handshakes take from a fraction of a millisecond (resumed, loopback) to seconds (slow clients). */
export const DEFAULT_TLS_HANDSHAKE_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5,
];

export class TlsMetrics {
  readonly #handshakes: SeriesTable<CountSeries>;
  readonly #versions: SeriesTable<CountSeries>;
  readonly #failures: SeriesTable<CountSeries>;
  readonly #durations: SeriesTable<HistogramRecord>;
  readonly #bounds: Float64Array;

  constructor(set: MetricSet, maxSeries: number) {
    const series = (names: [string, string]) => (a: string, b: string) => ({
      labels: { [names[0]]: a, [names[1]]: b },
      count: 0,
      resumed: 0,
    });
    this.#handshakes = new SeriesTable(maxSeries, series(['service', 'endpoint']));
    this.#versions = new SeriesTable(maxSeries, series(['service', 'version']));
    this.#failures = new SeriesTable(maxSeries, series(['service', 'reason']));
    set.counter(
      'tls_handshakes_total',
      'TLS handshakes completed on listening endpoints',
      ['service', 'endpoint'],
      this.#handshakes,
      (s) => s.count,
    );
    set.counter(
      'tls_handshakes_resumed_total',
      'TLS handshakes that resumed a session (ticket or session id)',
      ['service', 'endpoint'],
      this.#handshakes,
      (s) => s.resumed,
    );
    set.counter(
      'tls_handshakes_by_version_total',
      'TLS handshakes completed, by protocol version',
      ['service', 'version'],
      this.#versions,
      (s) => s.count,
    );
    set.counter(
      'tls_handshake_failures_total',
      'TLS handshakes that failed, by reason (timeout, version, cipher, alpn, client_cert, ...)',
      ['service', 'reason'],
      this.#failures,
      (s) => s.count,
    );
    const bounds = Float64Array.from(DEFAULT_TLS_HANDSHAKE_BUCKETS);
    this.#bounds = bounds;
    this.#durations = new SeriesTable(maxSeries, (service) => histogramRecord({ service }, bounds));
    set.histogram(
      'tls_handshake_duration_seconds',
      'How long completed TLS handshakes took',
      this.#durations,
      bounds,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [tlsHandshakeChannel.name, this.#onHandshake],
      [tlsHandshakeFailedChannel.name, this.#onFailed],
    ];
  }

  readonly #onHandshake = (message: unknown): void => {
    const e = message as TlsHandshakeEvent;
    if (typeof e?.service !== 'string' || typeof e.endpoint !== 'string') return;
    const s = this.#handshakes.get(e.service, e.endpoint);
    s.count++;
    if (e.resumed === true) s.resumed++;
    if (typeof e.version === 'string') this.#versions.get(e.service, e.version).count++;
    if (typeof e.durationMs === 'number' && Number.isFinite(e.durationMs) && e.durationMs >= 0) {
      observe(this.#durations.get(e.service), this.#bounds, e.durationMs / 1000);
    }
  };

  readonly #onFailed = (message: unknown): void => {
    const e = message as TlsHandshakeFailedEvent;
    if (typeof e?.service !== 'string' || typeof e.reason !== 'string') return;
    this.#failures.get(e.service, e.reason).count++;
  };
}
