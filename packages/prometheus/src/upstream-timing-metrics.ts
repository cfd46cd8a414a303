/**
 * Per-upstream timing from the proxy's `pingora-ts:proxy:request` event:
 * histograms of the time to get a new upstream connection (connects only;
 * a pooled connection costs nothing) and of the time to first byte (from
 * the connection being ready to the upstream response head), labelled by
 * peer `ip:port` with the series bound of the other per-peer metrics.
 */
import type { MetricSet } from './metric-set.ts';
import { PROXY_REQUEST_CHANNEL } from './proxy-metrics.ts';
import { SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';
import { type HistogramRecord, histogramRecord, observe } from './table-histogram.ts';

/** Loopback connects take tens of µs, cross-region ones hundreds of ms. */
export const DEFAULT_UPSTREAM_CONNECT_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Time to first byte: the upstream's own latency plus the network's. */
export const DEFAULT_UPSTREAM_TTFB_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The part of the proxy's ProxyRequestEvent read here. */
interface TimingMessage {
  readonly upstream?: unknown;
  readonly upstreamReused?: unknown;
  readonly upstreamConnectMs?: unknown;
  readonly upstreamTtfbMs?: unknown;
}

export class UpstreamTimingMetrics {
  readonly #connect: SeriesTable<HistogramRecord>;
  readonly #ttfb: SeriesTable<HistogramRecord>;
  readonly #connectBounds: Float64Array;
  readonly #ttfbBounds: Float64Array;

  constructor(set: MetricSet, maxSeries: number) {
    const connectBounds = Float64Array.from(DEFAULT_UPSTREAM_CONNECT_BUCKETS);
    const ttfbBounds = Float64Array.from(DEFAULT_UPSTREAM_TTFB_BUCKETS);
    this.#connectBounds = connectBounds;
    this.#ttfbBounds = ttfbBounds;
    this.#connect = new SeriesTable(maxSeries, (peer) => histogramRecord({ peer }, connectBounds));
    this.#ttfb = new SeriesTable(maxSeries, (peer) => histogramRecord({ peer }, ttfbBounds));
    set.histogram(
      'upstream_connect_seconds',
      'Time to establish a new upstream connection (TCP and TLS), per peer',
      this.#connect,
      connectBounds,
    );
    set.histogram(
      'upstream_ttfb_seconds',
      'From the upstream connection being ready to the upstream response head, per peer',
      this.#ttfb,
      ttfbBounds,
    );
  }

  subscriptions(): Subscription[] {
    return [[PROXY_REQUEST_CHANNEL, this.#onRequest]];
  }

  readonly #onRequest = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const e = message as TimingMessage;
    const peer = e.upstream;
    if (typeof peer !== 'string') return;
    const connect = e.upstreamConnectMs;
    if (e.upstreamReused === false && isDuration(connect)) {
      observe(this.#connect.get(peer), this.#connectBounds, connect / 1000);
    }
    const ttfb = e.upstreamTtfbMs;
    if (isDuration(ttfb)) observe(this.#ttfb.get(peer), this.#ttfbBounds, ttfb / 1000);
  };
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value < Infinity;
}
