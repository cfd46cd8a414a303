/**
 * Backend health metrics from load-balancing's health events: a real
 * LoadBalancer with TCP health checks against origins on 127.0.0.1; an
 * origin that goes away turns its gauge to 0, and back to 1 when it returns.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { LoadBalancer, RoundRobin, TcpHealthCheck } from '@pingora-ts/load-balancing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { sampleValue, scrape } from './utils/scrape.ts';
import { runServices, startTcpOrigin } from './utils/servers.ts';

const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

describe('health metrics', () => {
  it('follows each backend through unhealthy and healthy again, counting the changes by cause', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    await using live = await startTcpOrigin();
    const flaky = await startTcpOrigin();
    const flakyPort = flaky.port;
    await flaky[Symbol.asyncDispose]();
    await using run = await runServices(
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const port = run.ports[0] as number;
    const lb = LoadBalancer.fromAddrs([live.address, flaky.address], RoundRobin, {
      healthCheck: new TcpHealthCheck({ connectTimeoutMs: 2000 }),
    });

    await lb.runHealthCheck();
    let samples = await scrape(port);
    const healthy = (backend: string) =>
      sampleValue(samples, 'pingora_backend_healthy', { backend });
    const changes = (backend: string, reason: string) =>
      sampleValue(samples, 'pingora_backend_health_changes_total', { backend, reason });
    expect(healthy(flaky.address)).toBe(0);
    expect(changes(flaky.address, 'active-check')).toBe(1);
    // A backend that never changed has no series yet.
    expect(healthy(live.address)).toBeUndefined();

    const revived = createServer((s) => s.destroy());
    revived.listen(flakyPort, '127.0.0.1');
    await once(revived, 'listening');
    try {
      await lb.runHealthCheck();
      samples = await scrape(port);
      expect(healthy(flaky.address)).toBe(1);
      expect(changes(flaky.address, 'active-check')).toBe(2);
      expect(lb.select('')).toBeDefined();
    } finally {
      await new Promise<void>((resolve) => revived.close(() => resolve()));
    }
  });

  it('counts enablement changes under their own cause', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    const lb = LoadBalancer.fromAddrs(['10.0.0.1:80', '10.0.0.2:80'], RoundRobin);
    lb.backends().setEnable('10.0.0.1:80', false);
    const text = await m.registry.metrics();
    expect(text).toContain('pingora_backend_healthy{backend="10.0.0.1:80"} 0');
    expect(text).toContain(
      'pingora_backend_health_changes_total{backend="10.0.0.1:80",reason="enablement"} 1',
    );
  });
});
