/**
 * The umbrella package: every @pingora-ts dependency is re-exported whole as
 * a namespace, the prelude names are the very objects of their home
 * packages, and a proxy with metrics can be built from `pingora-ts` alone
 * (one request end to end over real sockets, then a scrape).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as coreHome from '@pingora-ts/core';
import * as errorHome from '@pingora-ts/error';
import * as httpHome from '@pingora-ts/http';
import * as lbHome from '@pingora-ts/load-balancing';
import * as prometheusHome from '@pingora-ts/prometheus';
import * as proxyHome from '@pingora-ts/proxy';
import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import * as umbrella from '../src/index.ts';

const NAMESPACES: Record<string, string> = {
  '@pingora-ts/cache': 'cache',
  '@pingora-ts/core': 'core',
  '@pingora-ts/error': 'error',
  '@pingora-ts/http': 'http',
  '@pingora-ts/ketama': 'ketama',
  '@pingora-ts/limits': 'limits',
  '@pingora-ts/lru': 'lru',
  '@pingora-ts/memory-cache': 'memoryCache',
  '@pingora-ts/load-balancing': 'lb',
  '@pingora-ts/pool': 'pool',
  '@pingora-ts/prometheus': 'prometheus',
  '@pingora-ts/proxy': 'proxy',
  '@pingora-ts/timeout': 'timeout',
  '@pingora-ts/tinyufo': 'tinyufo',
  '@pingora-ts/tls-openssl': 'tlsOpenssl',
};

describe('pingora-ts umbrella', () => {
  it('re-exports every @pingora-ts dependency whole, as a namespace', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const deps = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@pingora-ts/'));
    expect(deps.sort()).toEqual(Object.keys(NAMESPACES).sort());
    for (const dep of deps) {
      const home = (await import(dep)) as Record<string, unknown>;
      const ns = (umbrella as Record<string, unknown>)[NAMESPACES[dep] as string] as Record<
        string,
        unknown
      >;
      expect(Object.keys(ns).sort(), dep).toEqual(Object.keys(home).sort());
      for (const name of Object.keys(home)) expect(ns[name], `${dep} ${name}`).toBe(home[name]);
    }
  });

  it('exports the prelude names as the objects of their home packages', () => {
    const prelude: Array<[string, unknown]> = [
      ['Server', coreHome.Server],
      ['backgroundService', coreHome.backgroundService],
      ['HttpPeer', coreHome.HttpPeer],
      ['HttpServer', coreHome.HttpServer],
      ['ListeningService', coreHome.ListeningService],
      ['serveHttp', coreHome.serveHttp],
      ['PingoraError', errorHome.PingoraError],
      ['ErrorType', errorHome.ErrorType],
      ['ErrorSource', errorHome.ErrorSource],
      ['RequestHeader', httpHome.RequestHeader],
      ['ResponseHeader', httpHome.ResponseHeader],
      ['Backend', lbHome.Backend],
      ['LoadBalancer', lbHome.LoadBalancer],
      ['RoundRobin', lbHome.RoundRobin],
      ['TcpHealthCheck', lbHome.TcpHealthCheck],
      ['HttpProxy', proxyHome.HttpProxy],
      ['httpProxyService', proxyHome.httpProxyService],
      ['Session', proxyHome.Session],
      ['PrometheusMetrics', prometheusHome.PrometheusMetrics],
      ['prometheusHttpService', prometheusHome.prometheusHttpService],
    ];
    const top = umbrella as Record<string, unknown>;
    for (const [name, home] of prelude) {
      expect(home, name).toBeDefined();
      expect(top[name], name).toBe(home);
    }
    // Nothing else sits at the top besides the namespaces and the prelude.
    const expected = [...prelude.map(([n]) => n), ...Object.values(NAMESPACES)].sort();
    expect(Object.keys(umbrella).sort()).toEqual(expected);
  });

  it('builds a proxy with metrics from the umbrella alone and serves a request end to end', async () => {
    const {
      core,
      HttpPeer,
      httpProxyService,
      PrometheusMetrics,
      prometheus,
      prometheusHttpService,
      Server,
    } = umbrella;
    const origin = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Origin': 'one' });
        res.end(`origin saw ${req.method} ${req.url} host=${req.headers.host}`);
      });
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const originAddr = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
    const metrics = new PrometheusMetrics({ registry: new prometheus.promClient.Registry() });
    try {
      const server = new Server({
        logger: core.createServerLogger(core.DEFAULT_SERVER_CONF, { level: 'silent' }),
        conf: { gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 0.2 },
      });
      const app: umbrella.ProxyHttp<null> = {
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(originAddr),
      };
      const proxyService = httpProxyService(server.configuration, app, { name: 'proxy' });
      proxyService.addTcp('127.0.0.1:0');
      const metricsService = prometheusHttpService('metrics', '127.0.0.1:0', {
        registry: metrics.registry,
      });
      server.addService(proxyService);
      server.addService(metricsService);
      await using running = server.run();
      await running.ready;
      const [proxyAddr] = await proxyService.listening;
      const [metricsAddr] = await metricsService.listening;
      if (proxyAddr?.kind !== 'inet' || metricsAddr?.kind !== 'inet') throw new Error('no port');

      const res = await get(proxyAddr.port, '/hello?x=1');
      expect(res.status).toBe(200);
      expect(res.headers['x-origin']).toBe('one');
      expect(res.body).toBe(`origin saw GET /hello?x=1 host=127.0.0.1:${proxyAddr.port}`);

      // The request event follows the response's end: scrape until it is in (bounded).
      let text = '';
      for (let i = 0; i < 200 && !text.includes('pingora_requests_total{'); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        text = (await get(metricsAddr.port, '/metrics')).body;
      }
      expect(text).toContain(`pingora_upstream_connections_opened_total{peer="${originAddr}"} 1`);
      expect(text).toContain('pingora_connections_accepted_total{service="proxy"');
      expect(text).toContain('pingora_server_phase{phase="Running"} 1');
      // The proxy's own per-request event, counted once the logging phase is over.
      expect(text).toContain('pingora_requests_total{method="GET",status="200"} 1');
      expect(text).toContain('pingora_request_duration_seconds_count 1');
    } finally {
      metrics[Symbol.dispose]();
      origin.closeAllConnections();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    }
  });
});

async function get(
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await httpRequest(port, path, { timeoutMs: 10_000 });
  return { status: res.status, headers: res.headers, body: res.body.toString() };
}
