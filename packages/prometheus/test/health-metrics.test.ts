/**
 * Backend health metrics from load-balancing's health events: real
 * LoadBalancers with HTTP and TCP health checks against origins on
 * 127.0.0.1; an origin failing its check turns its gauge to 0, and back to 1
 * once it passes again.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpHealthCheck,
  LoadBalancer,
  RoundRobin,
  TcpHealthCheck,
} from '@pingora-ts/load-balancing';
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
  it('follows a backend through unhealthy and healthy again, counting the changes by cause', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    await using live = await startTcpOrigin();
    // The flaky origin answers its health checks with whatever status it is told to.
    let status = 503;
    const flaky = createServer((req, res) => {
      req.resume();
      res.writeHead(status, { 'Content-Length': '0' });
      res.end();
    });
    flaky.listen(0, '127.0.0.1');
    await once(flaky, 'listening');
    const flakyAddr = `127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    try {
      await using run = await runServices(
        prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
      );
      const port = run.ports[0] as number;
      const lb = LoadBalancer.fromAddrs([flakyAddr], RoundRobin, {
        healthCheck: new HttpHealthCheck({
          host: 'health.test',
          connectTimeoutMs: 5000,
          readTimeoutMs: 5000,
        }),
      });
      const tcp = LoadBalancer.fromAddrs([live.address], RoundRobin, {
        healthCheck: new TcpHealthCheck({ connectTimeoutMs: 5000 }),
      });

      await lb.runHealthCheck();
      await tcp.runHealthCheck();
      let samples = await scrape(port);
      const healthy = (backend: string) =>
        sampleValue(samples, 'pingora_backend_healthy', { backend });
      const changes = (backend: string, reason: string) =>
        sampleValue(samples, 'pingora_backend_health_changes_total', { backend, reason });
      expect(healthy(flakyAddr)).toBe(0);
      expect(changes(flakyAddr, 'active-check')).toBe(1);
      expect(lb.select('')).toBeUndefined();
      // A backend whose health never changed has no series yet.
      expect(healthy(live.address)).toBeUndefined();

      status = 200;
      await lb.runHealthCheck();
      samples = await scrape(port);
      expect(healthy(flakyAddr)).toBe(1);
      expect(changes(flakyAddr, 'active-check')).toBe(2);
      expect(lb.select('')?.addr).toBe(flakyAddr);
    } finally {
      flaky.closeAllConnections();
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
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
