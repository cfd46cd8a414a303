/**
 * The metrics HTTP service over real sockets: GET /metrics with the
 * registry's content type (an app's own metrics included), gzip when the
 * scraper accepts it, HEAD, 404 and 405, a failing collector as 500,
 * keep-alive scrapes, a Unix socket endpoint, and option checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Server } from '@pingora-ts/core';
import { ErrorType } from '@pingora-ts/error';
import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { promClient } from '../src/index.ts';
import { PrometheusHttpApp } from '../src/prometheus-app.ts';
import { PROMETHEUS_SERVICE_NAME, prometheusHttpService } from '../src/prometheus-service.ts';
import { rawExchange } from './utils/raw.ts';
import { httpRequest, parseExposition, sampleValue } from './utils/scrape.ts';
import { quietLogger, runServices } from './utils/servers.ts';

/** A registry with one app counter and enough series to be worth compressing. */
function appRegistry(): Registry {
  const registry = new Registry();
  const c = new Counter({
    name: 'app_requests_total',
    help: 'Requests',
    labelNames: ['route'],
    registers: [registry],
  });
  for (let i = 0; i < 40; i++) c.inc({ route: `/route/${i}` }, i);
  return registry;
}

async function serve(registry: Registry, gzipLevel?: number | false) {
  const options = gzipLevel === undefined ? { registry } : { registry, gzipLevel };
  const run = await runServices(prometheusHttpService('metrics', '127.0.0.1:0', options));
  return { run, port: run.ports[0] as number };
}

describe('prometheusHttpService', () => {
  it('answers GET /metrics with the registry text and its content type', async () => {
    const registry = appRegistry();
    const { run, port } = await serve(registry);
    await using _ = run;
    const res = await httpRequest(port, '/metrics?x=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(registry.contentType);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    const samples = parseExposition(res.body.toString());
    expect(sampleValue(samples, 'app_requests_total', { route: '/route/7' })).toBe(7);
    expect(res.body.toString()).toBe(await registry.metrics());
  });

  it("serves prom-client's global registry by default, where an app's own metrics land (Pingora's static metrics)", async () => {
    const counter = new promClient.Counter({ name: 'my_counter', help: 'my counter' });
    try {
      counter.inc(3);
      const service = prometheusHttpService();
      expect(service.name).toBe(PROMETHEUS_SERVICE_NAME);
      service.addTcp('127.0.0.1:0');
      await using run = await runServices(service);
      const res = await httpRequest(run.ports[0] as number, '/metrics');
      expect(res.headers['content-type']).toBe(promClient.register.contentType);
      expect(sampleValue(parseExposition(res.body.toString()), 'my_counter')).toBe(3);
    } finally {
      promClient.register.removeSingleMetric('my_counter');
    }
  });

  it('gzips for scrapers that accept it (level 7 by default) and can be told not to', async () => {
    const registry = appRegistry();
    const { run, port } = await serve(registry);
    await using _ = run;
    const res = await httpRequest(port, '/metrics', {
      headers: { 'Accept-Encoding': 'br;q=1, gzip;q=0.5' },
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    const text = gunzipSync(res.body).toString();
    expect(text).toBe(await registry.metrics());
    expect(res.body.length).toBeLessThan(text.length);
    // gzip refused with q=0: identity.
    const refused = await httpRequest(port, '/metrics', {
      headers: { 'Accept-Encoding': 'gzip;q=0' },
    });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const plain = await serve(registry, false);
    await using __ = plain.run;
    const off = await httpRequest(plain.port, '/metrics', {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(off.headers['content-encoding']).toBeUndefined();
    expect(off.headers.vary).toBeUndefined();
    expect(off.body.toString()).toBe(await registry.metrics());
  });

  it('answers 404 off the metrics path, 405 for other methods, and HEAD without a body', async () => {
    const { run, port } = await serve(appRegistry());
    await using _ = run;
    for (const path of ['/', '/metrics/', '/metricsx', '/Metrics']) {
      expect((await httpRequest(port, path)).status).toBe(404);
    }
    const post = await httpRequest(port, '/metrics', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await rawExchange(
      port,
      'HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const length = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(head)?.[1]);
    expect(length).toBeGreaterThan(100);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  it('does not mistake an unread request body for the next request', async () => {
    const { run, port } = await serve(appRegistry());
    await using _ = run;
    // The body is itself a request line: if it were left on the connection, it would be served.
    const smuggled = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n';
    const text = await rawExchange(
      port,
      `POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
        'GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    // The body is skipped and the next real request served.
    expect(text.match(/HTTP\/1\.1 \d{3} /g)).toEqual(['HTTP/1.1 405 ', 'HTTP/1.1 404 ']);
  });

  it('serves several scrapes on one keep-alive connection', async () => {
    const { run, port } = await serve(appRegistry());
    await using _ = run;
    const req = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n';
    const text = await rawExchange(
      port,
      `${req}${req}GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(text.match(/HTTP\/1\.1 200 /g)?.length).toBe(3);
  });

  it('answers 500 when a collector fails, and keeps serving', async () => {
    const registry = appRegistry();
    let fail = true;
    new Gauge({
      name: 'flaky_value',
      help: 'fails on demand',
      registers: [registry],
      collect() {
        if (fail) throw new Error('collector broke');
        this.set(1);
      },
    });
    const { run, port } = await serve(registry);
    await using _ = run;
    expect((await httpRequest(port, '/metrics')).status).toBe(500);
    fail = false;
    const ok = await httpRequest(port, '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toContain('flaky_value 1');
  });

  it('listens on a Unix socket given as unix:/path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-prom-'));
    try {
      const path = join(dir, 'metrics.sock');
      const service = prometheusHttpService(undefined, `unix:${path}`, { registry: appRegistry() });
      expect(service.name).toBe(PROMETHEUS_SERVICE_NAME);
      const server = new Server({
        logger: quietLogger,
        conf: { gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 0.2 },
      });
      server.addService(service);
      await using running = server.run();
      await running.ready;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath: path, path: '/metrics', agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        });
        req.on('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
        req.end();
      });
      expect(body).toContain('app_requests_total{route="/route/1"} 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options with a ConfigError', () => {
    for (const options of [
      { gzipLevel: 0 },
      { gzipLevel: 10 },
      { gzipLevel: 2.5 },
      { path: 'metrics' },
    ]) {
      expect(() => new PrometheusHttpApp(options)).toThrow(
        expect.objectContaining({ type: ErrorType.ConfigError }),
      );
    }
  });
});
