/**
 * Smoke test of the metrics sample, in-process from YAML with the demo
 * origin: requests through the proxy show up in the app's own counter and
 * histogram and in the built-in upstream and connection metrics.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { core, prometheus, Server } from 'pingora-ts';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupMetricsProxy } from '../src/metrics-proxy.ts';

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await httpRequest(port, path, { timeoutMs: 10_000 });
  return { status: res.status, body: res.body.toString() };
}

function portOf(addr: core.SocketAddr | undefined): number {
  if (addr?.kind !== 'inet') throw new Error('no inet address');
  return addr.port;
}

it('counts proxied requests by status next to the built-in metrics', async () => {
  const server = new Server({
    logger: core.createServerLogger(core.DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText:
      'version: 1\nmetrics_proxy:\n  listen: ["127.0.0.1:0"]\n  metrics_listen: 127.0.0.1:0\n',
  });
  const registry = new prometheus.promClient.Registry();
  const services = await setupMetricsProxy(server, registry);
  const run = server.run();
  try {
    await run.ready;
    const proxyPort = portOf((await services.proxy.listening)[0]);
    const metricsPort = portOf((await services.metrics.listening)[0]);
    expect((await get(proxyPort, '/')).body).toBe('demo origin: GET /\n');
    expect((await get(proxyPort, '/slow')).status).toBe(200);
    expect((await get(proxyPort, '/missing')).status).toBe(404);

    // The logging phase runs as the response ends: poll (bounded) until all three are counted.
    let text = '';
    for (let i = 0; i < 200; i++) {
      text = (await get(metricsPort, '/metrics')).body;
      if (
        text.includes('app_request_duration_seconds_count 3') &&
        text.includes('pingora_request_duration_seconds_count 3')
      )
        break;
      await sleep(20);
    }
    expect(text).toContain('app_requests_total{status="200"} 2');
    expect(text).toContain('app_requests_total{status="404"} 1');
    expect(text).toContain('app_request_duration_seconds_count 3');
    // The proxy's built-in request metrics agree with the app's own.
    expect(text).toContain('pingora_requests_total{method="GET",status="200"} 2');
    expect(text).toContain('pingora_requests_total{method="GET",status="404"} 1');
    // Three upstream requests: the first opens a connection, the others (normally) reuse it.
    const upstream = (kind: string) =>
      Number(
        new RegExp(`pingora_upstream_connections_${kind}_total\\{peer="[^"]+"\\} (\\d+)`).exec(
          text,
        )?.[1],
      );
    expect(upstream('opened') + upstream('reused')).toBe(3);
    expect(upstream('opened')).toBeGreaterThanOrEqual(1);
    expect(text).toContain(
      'pingora_connections_accepted_total{service="proxy",endpoint="127.0.0.1:0"} 3',
    );
    expect(text).toContain('pingora_server_phase{phase="Running"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
  } finally {
    await run.shutdown();
  }
  // The built-in metrics leave the registry with the server.
  expect(registry.getSingleMetric('pingora_connections_accepted_total')).toBeUndefined();
  expect(registry.getSingleMetric('app_requests_total')).toBeDefined();
});
