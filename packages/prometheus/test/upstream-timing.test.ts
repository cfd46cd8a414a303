/**
 * Per-upstream connect time and time-to-first-byte histograms and the pool
 * reuse ratio, from requests through a real proxy to a real origin: the
 * origin's delay shows in the TTFB buckets, only new connections are in the
 * connect histogram, and three requests on one connection give 2/3.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SERVER_CONF, HttpPeer } from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { httpRequest, sampleValue, scrapeUntil } from './utils/scrape.ts';
import { quietLogger, runServices } from './utils/servers.ts';

const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

describe('upstream timing metrics', () => {
  it('records connect time per new connection, TTFB per request and the reuse ratio', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    const origin = createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('ok'), req.url === '/slow' ? 60 : 0);
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const address = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(address),
    };
    const proxy = httpProxyService(DEFAULT_SERVER_CONF, inner, { logger: quietLogger });
    proxy.addTcp('127.0.0.1:0');
    await using run = await runServices(
      proxy,
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [proxyPort, metricsPort] = run.ports as [number, number];
    for (const path of ['/slow', '/', '/']) {
      expect((await httpRequest(proxyPort, path)).status).toBe(200);
    }
    const samples = await scrapeUntil(
      metricsPort,
      (s) => sampleValue(s, 'pingora_upstream_ttfb_seconds_count', { peer: address }) === 3,
    );
    origin.closeAllConnections();
    origin.close();
    const peer = { peer: address };
    // One connection was opened: one connect observation, well under a second on loopback.
    expect(sampleValue(samples, 'pingora_upstream_connect_seconds_count', peer)).toBe(1);
    expect(
      sampleValue(samples, 'pingora_upstream_connect_seconds_bucket', { ...peer, le: '1' }),
    ).toBe(1);
    // Three requests; the /slow one waited 60 ms at the origin, the others did not.
    expect(sampleValue(samples, 'pingora_upstream_ttfb_seconds_count', peer)).toBe(3);
    expect(
      sampleValue(samples, 'pingora_upstream_ttfb_seconds_bucket', { ...peer, le: '0.05' }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'pingora_upstream_ttfb_seconds_bucket', { ...peer, le: '+Inf' }),
    ).toBe(3);
    expect(sampleValue(samples, 'pingora_upstream_ttfb_seconds_sum', peer)).toBeGreaterThanOrEqual(
      0.055,
    );
    // Reuse over all upstream requests: two of three rode the pooled connection.
    expect(sampleValue(samples, 'pingora_upstream_pool_reuse_ratio')).toBeCloseTo(2 / 3, 6);
  });

  it('reports a reuse ratio of 0 before any upstream request', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    const text = await m.registry.metrics();
    expect(text).toMatch(/^pingora_upstream_pool_reuse_ratio 0$/m);
  });
});
