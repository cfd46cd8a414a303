/**
 * Downstream connection and server lifecycle metrics, end to end: a real
 * core Server runs an HTTP app and the metrics service on port 0; requests
 * over real sockets must show up in the scraped counters, and events stop
 * counting after unsubscribe().
 */
import { connect } from 'node:net';
import { addressFilter, ListeningService, responseHead, serveHttp } from '@pingora-ts/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { prometheusHttpService } from '../src/prometheus-service.ts';
import { httpRequest, type Sample, sampleValue, scrape, scrapeUntil } from './utils/scrape.ts';
import { runServices } from './utils/servers.ts';

const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

function metrics(registry = new Registry()): PrometheusMetrics {
  const m = new PrometheusMetrics({ registry });
  disposables.push(m);
  return m;
}

function helloService(name: string): ListeningService {
  return new ListeningService(
    name,
    serveHttp(() => ({ header: responseHead(200), body: 'hello' })),
  ).addTcp('127.0.0.1:0');
}

const accepted = (s: Sample[], service: string) =>
  sampleValue(s, 'pingora_connections_accepted_total', { service });
const closed = (s: Sample[], service: string) =>
  sampleValue(s, 'pingora_connections_closed_total', { service });

describe('listener metrics', () => {
  it('counts accepted and closed connections per service and endpoint, with open connections and durations', async () => {
    const m = metrics();
    await using run = await runServices(
      helloService('hello'),
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [appPort, metricsPort] = run.ports as [number, number];
    for (let i = 0; i < 3; i++) {
      const res = await httpRequest(appPort, '/');
      expect(res.body.toString()).toBe('hello');
    }
    const samples = await scrapeUntil(metricsPort, (s) => closed(s, 'hello') === 3);
    const endpoint = `127.0.0.1:0`;
    expect(
      sampleValue(samples, 'pingora_connections_accepted_total', { service: 'hello', endpoint }),
    ).toBe(3);
    expect(closed(samples, 'hello')).toBe(3);
    expect(sampleValue(samples, 'pingora_connections_open', { service: 'hello' })).toBe(0);
    expect(
      sampleValue(samples, 'pingora_connection_duration_seconds_count', { service: 'hello' }),
    ).toBe(3);
    // The scrape's own connection is open while the metrics are gathered.
    expect(sampleValue(samples, 'pingora_connections_open', { service: 'metrics' })).toBe(1);
    expect(accepted(samples, 'metrics')).toBeGreaterThanOrEqual(1);
  });

  it('keeps an open connection in the gauge until it closes', async () => {
    const m = metrics();
    await using run = await runServices(
      helloService('hello'),
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [appPort, metricsPort] = run.ports as [number, number];
    const socket = connect(appPort, '127.0.0.1');
    socket.on('error', () => {});
    try {
      const open = (s: Sample[]) =>
        sampleValue(s, 'pingora_connections_open', { service: 'hello' });
      expect(open(await scrapeUntil(metricsPort, (s) => open(s) === 1))).toBe(1);
      socket.destroy();
      expect(open(await scrapeUntil(metricsPort, (s) => open(s) === 0))).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  it('counts connections the connection filter denies', async () => {
    const m = metrics();
    const guarded = helloService('guarded').setConnectionFilter(
      addressFilter({ deny: ['127.0.0.0/8'] }),
    );
    await using run = await runServices(
      guarded,
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [appPort, metricsPort] = run.ports as [number, number];
    for (let i = 0; i < 2; i++) {
      await expect(httpRequest(appPort, '/')).rejects.toThrow();
    }
    const denied = (s: Sample[]) =>
      sampleValue(s, 'pingora_connections_denied_total', { service: 'guarded' });
    const samples = await scrapeUntil(metricsPort, (s) => denied(s) === 2);
    expect(denied(samples)).toBe(2);
    expect(accepted(samples, 'guarded')).toBe(0);
  });

  it('reports the server phase and each service state as state sets', async () => {
    const m = metrics();
    const running = await runServices(
      helloService('hello'),
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const metricsPort = running.ports[1] as number;
    const samples = await scrape(metricsPort);
    expect(sampleValue(samples, 'pingora_server_phase', { phase: 'Running' })).toBe(1);
    expect(sampleValue(samples, 'pingora_server_phase', { phase: 'Setup' })).toBe(0);
    const phases = samples.filter((s) => s.name === 'pingora_server_phase');
    expect(phases.length).toBe(11);
    expect(phases.reduce((n, s) => n + s.value, 0)).toBe(1);
    expect(sampleValue(samples, 'pingora_server_phase_timestamp_seconds')).toBeGreaterThan(0);
    for (const service of ['hello', 'metrics']) {
      expect(sampleValue(samples, 'pingora_service_state', { service, state: 'ready' })).toBe(1);
      expect(sampleValue(samples, 'pingora_service_state', { service, state: 'failed' })).toBe(0);
    }
    await running.running.shutdown({ graceful: false });
    // The service is gone; the registry still answers from the last events.
    const after = await m.registry.metrics();
    expect(after).toContain('pingora_server_phase{phase="Terminated"} 1');
    expect(after).toContain('pingora_service_state{service="hello",state="stopped"} 1');
  });

  it('stops counting after unsubscribe() and keeps the last values', async () => {
    const m = metrics();
    await using run = await runServices(
      helloService('hello'),
      prometheusHttpService('metrics', '127.0.0.1:0', { registry: m.registry }),
    );
    const [appPort, metricsPort] = run.ports as [number, number];
    await httpRequest(appPort, '/');
    await scrapeUntil(metricsPort, (s) => closed(s, 'hello') === 1);
    m.unsubscribe();
    m.unsubscribe(); // idempotent
    expect(m.subscribed).toBe(false);
    for (let i = 0; i < 3; i++) await httpRequest(appPort, '/');
    // Give any straggling event time to arrive: nothing may change.
    await new Promise((r) => setTimeout(r, 100));
    const samples = await scrape(metricsPort);
    expect(accepted(samples, 'hello')).toBe(1);
    expect(closed(samples, 'hello')).toBe(1);
  });
});
