/**
 * Request metrics from the proxy's `pingora-ts:proxy:request` events,
 * published here by name in the shape the proxy documents (the umbrella
 * package's test drives a real proxy): counts by method and status with
 * unknown methods folded into `other`, durations, error kinds, retries and
 * body bytes, and malformed messages ignored.
 */
import { channel } from 'node:diagnostics_channel';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import { PROXY_CLIENT_ABORT_CHANNEL, PROXY_REQUEST_CHANNEL } from '../src/proxy-metrics.ts';
import { parseExposition, sampleValue } from './utils/scrape.ts';

const requests = channel(PROXY_REQUEST_CHANNEL);
const disposables: Disposable[] = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d[Symbol.dispose]();
});

function event(overrides: Record<string, unknown> = {}) {
  return {
    method: 'GET',
    status: 200,
    upstream: '127.0.0.1:8080',
    retries: 0,
    upstreamReused: false,
    durationMs: 3,
    requestBodyBytes: 0,
    responseBodyBytes: 100,
    error: undefined,
    ...overrides,
  };
}

describe('proxy request metrics', () => {
  it('counts requests by method and status, errors by kind, retries, bytes and durations', async () => {
    const m = new PrometheusMetrics({
      registry: new Registry(),
      requestDurationBuckets: [0.005, 1],
    });
    disposables.push(m);
    requests.publish(event());
    requests.publish(event({ durationMs: 4.9 }));
    requests.publish(
      event({ method: 'POST', status: 201, requestBodyBytes: 5000, durationMs: 20 }),
    );
    requests.publish(event({ method: 'BREW', status: 418 }));
    requests.publish(
      event({
        status: 502,
        retries: 2,
        error: 'ConnectRefused',
        responseBodyBytes: 0,
        durationMs: 1500,
      }),
    );
    requests.publish(event({ status: 0, error: 'NotAnErrorType', responseBodyBytes: 0 }));
    const s = parseExposition(await m.registry.metrics());
    const req = (method: string, status: string) =>
      sampleValue(s, 'pingora_requests_total', { method, status });
    expect(req('GET', '200')).toBe(2);
    expect(req('POST', '201')).toBe(1);
    expect(req('other', '418')).toBe(1);
    expect(req('GET', '502')).toBe(1);
    expect(req('GET', '0')).toBe(1);
    expect(sampleValue(s, 'pingora_request_errors_total', { error: 'ConnectRefused' })).toBe(1);
    expect(sampleValue(s, 'pingora_request_errors_total', { error: 'other' })).toBe(1);
    expect(sampleValue(s, 'pingora_upstream_retries_total')).toBe(2);
    expect(sampleValue(s, 'pingora_request_body_bytes_total')).toBe(5000);
    expect(sampleValue(s, 'pingora_response_body_bytes_total')).toBe(400);
    const bucket = (le: string) =>
      sampleValue(s, 'pingora_request_duration_seconds_bucket', { le });
    expect(bucket('0.005')).toBe(4);
    expect(bucket('1')).toBe(5);
    expect(bucket('+Inf')).toBe(6);
    expect(sampleValue(s, 'pingora_request_duration_seconds_count')).toBe(6);
    expect(sampleValue(s, 'pingora_request_duration_seconds_sum')).toBeCloseTo(1.5339, 6);
  });

  it('ignores malformed messages and bounds every label', async () => {
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    for (const junk of [
      null,
      7,
      {},
      { method: 1, status: 200 },
      { method: 'GET', status: '200' },
    ]) {
      requests.publish(junk);
    }
    // Hostile but well-typed values: labels stay within their fixed sets.
    requests.publish(
      event({ method: 'X'.repeat(1000), status: 1e9, retries: -5, responseBodyBytes: Number.NaN }),
    );
    const s = parseExposition(await m.registry.metrics());
    const counted = s.filter((x) => x.name === 'pingora_requests_total');
    expect(counted).toEqual([
      { name: 'pingora_requests_total', labels: { method: 'other', status: 'other' }, value: 1 },
    ]);
    expect(sampleValue(s, 'pingora_upstream_retries_total')).toBe(0);
    expect(sampleValue(s, 'pingora_response_body_bytes_total')).toBe(0);
  });

  it('counts client aborts by phase, other phases folded into other', async () => {
    const aborts = channel(PROXY_CLIENT_ABORT_CHANNEL);
    const m = new PrometheusMetrics({ registry: new Registry() });
    disposables.push(m);
    aborts.publish({ phase: 'request', method: 'GET', error: 'ConnectionClosed' });
    aborts.publish({ phase: 'response', method: 'GET', error: 'WriteError' });
    aborts.publish({ phase: 'response', method: 'POST', error: 'ConnectionClosed' });
    aborts.publish({ phase: 'x'.repeat(100) });
    aborts.publish(null);
    const s = parseExposition(await m.registry.metrics());
    const phase = (p: string) => sampleValue(s, 'pingora_client_aborts_total', { phase: p });
    expect(phase('request')).toBe(1);
    expect(phase('response')).toBe(2);
    expect(phase('other')).toBe(1);
  });
});
