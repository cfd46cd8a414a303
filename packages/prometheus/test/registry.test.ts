/**
 * How PrometheusMetrics uses its registry: the global one by default (as
 * Pingora's gather()), a clear ConfigError instead of a half registration
 * when names clash, disposal that removes everything it added (the optional
 * process metrics included), the prefix, and checked options.
 */
import { ErrorType } from '@pingora-ts/error';
import { Registry, register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { promClient } from '../src/index.ts';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';

const configError = expect.objectContaining({ type: ErrorType.ConfigError });

function metricNames(registry: Registry): string[] {
  return registry.getMetricsAsArray().map((m) => m.name);
}

describe('PrometheusMetrics registry handling', () => {
  it('registers in the global registry by default, the one promClient re-exports', () => {
    expect(promClient.register).toBe(register);
    using m = new PrometheusMetrics();
    expect(m.registry).toBe(register);
    expect(metricNames(register)).toContain('pingora_connections_accepted_total');
  });

  it('refuses a second set on the same registry and prefix, leaving the first intact', async () => {
    const registry = new Registry();
    using first = new PrometheusMetrics({ registry });
    const before = metricNames(registry);
    expect(() => new PrometheusMetrics({ registry })).toThrow(configError);
    expect(metricNames(registry)).toEqual(before);
    expect(first.subscribed).toBe(true);
    // Another prefix shares the registry fine.
    using second = new PrometheusMetrics({ registry, prefix: 'edge_' });
    expect(second.subscribed).toBe(true);
    expect(metricNames(registry)).toContain('edge_upstream_pool_drops_total');
  });

  it('removes its metrics on dispose, so the registry can take a new set', () => {
    const registry = new Registry();
    const m = new PrometheusMetrics({ registry });
    const names = metricNames(registry);
    expect(names).toContain('pingora_upstream_tls_handshakes_total');
    expect(names).toContain('pingora_client_aborts_total');
    expect(names).toContain('pingora_h2_session_errors_total');
    // Every metric name appears once (41 with the upstream TLS ones, client aborts, the cache's 7, the listener TLS 5, the h2 2, the redis 5 and the upstream timing 3).
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(45);
    m[Symbol.dispose]();
    expect(m.subscribed).toBe(false);
    expect(metricNames(registry)).toEqual([]);
    using _again = new PrometheusMetrics({ registry });
    expect(metricNames(registry)).toEqual(names);
  });

  it('adds the process metrics on request and removes them with the rest', async () => {
    const registry = new Registry();
    const m = new PrometheusMetrics({ registry, defaultMetrics: true });
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    m[Symbol.dispose]();
    expect(metricNames(registry)).toEqual([]);
  });

  it('checks its options', () => {
    const registry = new Registry();
    for (const options of [
      { prefix: '1pingora_' },
      { prefix: 'ping-ora_' },
      { maxSeries: 0 },
      { maxSeries: 1.5 },
      { maxSeries: 10_000_000 },
      { connectionDurationBuckets: [] },
      { connectionDurationBuckets: [1, 1] },
      { connectionDurationBuckets: [0, 1] },
      { connectionDurationBuckets: [1, Number.POSITIVE_INFINITY] },
    ]) {
      expect(() => new PrometheusMetrics({ registry, ...options })).toThrow(configError);
    }
    expect(metricNames(registry)).toEqual([]);
  });
});
