/**
 * PrometheusMetrics: subscribes to the diagnostics_channel events the other
 * pingora-ts packages publish (listeners and their TLS handshakes, connectors, server phases and
 * services, proxied requests, backend health) and keeps prom-client metrics from them in a
 * registry, so no other package needs prom-client. Serve the registry with
 * prometheusHttpService().
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { collectDefaultMetrics, type Registry, register } from 'prom-client';
import { CacheMetrics } from './cache-metrics.ts';
import { H2Metrics } from './h2-metrics.ts';
import { HealthMetrics } from './health-metrics.ts';
import { DEFAULT_CONNECTION_DURATION_BUCKETS, ListenerMetrics } from './listener-metrics.ts';
import { MetricSet } from './metric-set.ts';
import { DEFAULT_REQUEST_DURATION_BUCKETS, ProxyMetrics } from './proxy-metrics.ts';
import { RedisMetrics } from './redis-metrics.ts';
import { ServerMetrics } from './server-metrics.ts';
import { type Subscription, subscribeAll, unsubscribeAll } from './subscription.ts';
import { TlsMetrics } from './tls-metrics.ts';
import { UpstreamMetrics } from './upstream-metrics.ts';
import { UpstreamTimingMetrics } from './upstream-timing-metrics.ts';
import { UpstreamTlsMetrics } from './upstream-tls-metrics.ts';

export interface PrometheusMetricsOptions {
  /** Where the metrics are registered (default: prom-client's global registry, as Pingora's gather()). */
  registry?: Registry;
  /** Prepended to every metric name (default `pingora_`). */
  prefix?: string;
  /**
   * Label sets kept per metric (peers, backends, service endpoints); past
   * it new ones are counted under the label value `other` (default 10000).
   */
  maxSeries?: number;
  /** Buckets (seconds) of the connection duration histogram. */
  connectionDurationBuckets?: readonly number[];
  /** Buckets (seconds) of the proxied request duration histogram. */
  requestDurationBuckets?: readonly number[];
  /**
   * Also register prom-client's process and Node.js metrics (CPU, memory,
   * event loop lag, GC, handles) in the same registry. Default false.
   */
  defaultMetrics?: boolean;
}

export const DEFAULT_METRIC_PREFIX = 'pingora_';
export const DEFAULT_MAX_SERIES = 10_000;
const MAX_SERIES_LIMIT = 1_000_000;

export class PrometheusMetrics implements Disposable {
  readonly registry: Registry;
  readonly #set: MetricSet;
  readonly #subscriptions: Subscription[];
  #subscribed = false;

  /** Registers the metrics and starts listening to the events at once. */
  constructor(options: PrometheusMetricsOptions = {}) {
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isSafeInteger(maxSeries) || maxSeries < 1 || maxSeries > MAX_SERIES_LIMIT) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `prometheus: maxSeries must be an integer from 1 to ${MAX_SERIES_LIMIT}, got ${String(maxSeries)}`,
      );
    }
    const buckets = checkBuckets(
      options.connectionDurationBuckets ?? DEFAULT_CONNECTION_DURATION_BUCKETS,
      'connectionDurationBuckets',
    );
    const requestBuckets = checkBuckets(
      options.requestDurationBuckets ?? DEFAULT_REQUEST_DURATION_BUCKETS,
      'requestDurationBuckets',
    );
    this.registry = options.registry ?? register;
    this.#set = new MetricSet(this.registry, options.prefix ?? DEFAULT_METRIC_PREFIX);
    try {
      this.#subscriptions = [
        ...new ListenerMetrics(this.#set, maxSeries, buckets).subscriptions(),
        ...new UpstreamMetrics(this.#set, maxSeries).subscriptions(),
        ...new UpstreamTimingMetrics(this.#set, maxSeries).subscriptions(),
        ...new UpstreamTlsMetrics(this.#set).subscriptions(),
        ...new ServerMetrics(this.#set, maxSeries).subscriptions(),
        ...new ProxyMetrics(this.#set, requestBuckets).subscriptions(),
        ...new HealthMetrics(this.#set, maxSeries).subscriptions(),
        ...new CacheMetrics(this.#set).subscriptions(),
        ...new RedisMetrics(this.#set).subscriptions(),
        ...new TlsMetrics(this.#set, maxSeries).subscriptions(),
        ...new H2Metrics(this.#set).subscriptions(),
      ];
      if (options.defaultMetrics === true) {
        const registry = this.registry;
        const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
        try {
          collectDefaultMetrics({ register: registry });
        } finally {
          // Even a partial registration (a name already taken) is ours to remove.
          for (const m of registry.getMetricsAsArray()) {
            if (!before.has(m.name)) this.#set.adopt(m.name);
          }
        }
      }
    } catch (err) {
      // Leave the registry as it was: a half-registered set would block a retry.
      this.#set.unregister();
      throw PingoraError.is(err)
        ? err
        : PingoraError.because(ErrorType.ConfigError, 'prometheus: cannot register metrics', err);
    }
    subscribeAll(this.#subscriptions);
    this.#subscribed = true;
  }

  /** Whether events still update the metrics. */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  /** Stops listening to events; the metrics keep their last values (idempotent). */
  unsubscribe(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    unsubscribeAll(this.#subscriptions);
  }

  /** Stops listening and removes this object's metrics from the registry. */
  [Symbol.dispose](): void {
    this.unsubscribe();
    this.#set.unregister();
  }
}

function checkBuckets(buckets: readonly number[], option: string): readonly number[] {
  const ok =
    buckets.length > 0 &&
    buckets.length <= 100 &&
    buckets.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > (buckets[i - 1] ?? 0)));
  if (!ok) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `prometheus: ${option} must be 1 to 100 increasing positive numbers`,
    );
  }
  return buckets;
}
