/**
 * @pingora-ts/prometheus: Prometheus metrics for pingora-ts (mirrors
 * pingora-prometheus). PrometheusMetrics turns the packages'
 * diagnostics_channel events into prom-client metrics; prometheusHttpService
 * serves a registry at /metrics. prom-client is re-exported so an app's own
 * metrics land in the same registry copy.
 */
export * as promClient from 'prom-client';
export { HEALTH_CHANNEL } from './health-metrics.ts';
export { DEFAULT_CONNECTION_DURATION_BUCKETS } from './listener-metrics.ts';
export {
  PrometheusHttpApp,
  type PrometheusHttpAppOptions,
  prometheusServer,
} from './prometheus-app.ts';
export {
  DEFAULT_REQUEST_DURATION_BUCKETS,
  PROXY_CLIENT_ABORT_CHANNEL,
  PROXY_REQUEST_CHANNEL,
} from './proxy-metrics.ts';
export {
  DEFAULT_MAX_SERIES,
  DEFAULT_METRIC_PREFIX,
  PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './prometheus-metrics.ts';
export {
  PROMETHEUS_SERVICE_NAME,
  type PrometheusHttpServiceOptions,
  prometheusHttpService,
} from './prometheus-service.ts';
export { OVERFLOW_LABEL } from './series-table.ts';
export { DEFAULT_TLS_HANDSHAKE_BUCKETS } from './tls-metrics.ts';
export {
  DEFAULT_UPSTREAM_CONNECT_BUCKETS,
  DEFAULT_UPSTREAM_TTFB_BUCKETS,
} from './upstream-timing-metrics.ts';
