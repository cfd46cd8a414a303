/**
 * Downstream HTTP/2 metrics over real sockets: a rapid-reset flood against
 * an h2c service shows up as an HTTP/2 session error and as streams skipped
 * before any work was done for them.
 */
import { ListeningService, responseHead, serveHttp } from '@pingora-ts/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { getHeaders, rawH2, rstCancel } from '../../../tooling/test-h2-frames.ts';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { sampleValue, scrapeUntil } from './utils/scrape.ts';
import { runServices } from './utils/servers.ts';

const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

describe('h2 metrics', () => {
  it('counts a rapid-reset flood: session errors and skipped streams', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    const app = new ListeningService(
      'h2',
      serveHttp(() => ({ header: responseHead(200), body: 'x' }), { h2c: true }),
    ).addTcp('127.0.0.1:0');
    await using run = await runServices(
      app,
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [appPort, metricsPort] = run.ports as [number, number];
    const c = await rawH2(appPort);
    const parts: Buffer[] = [];
    for (let i = 0; i < 5_000; i++) parts.push(getHeaders(1 + 2 * i), rstCancel(1 + 2 * i));
    c.socket.write(Buffer.concat(parts));
    await c.goaway;
    c.socket.destroy();
    const samples = await scrapeUntil(
      metricsPort,
      (s) =>
        (sampleValue(s, 'pingora_h2_session_errors_total', { code: 'ERR_HTTP2_ERROR' }) ?? 0) > 0,
    );
    expect(sampleValue(samples, 'pingora_h2_streams_skipped_total', {})).toBeGreaterThan(0);
  });
});
