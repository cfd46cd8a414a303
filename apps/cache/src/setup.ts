/**
 * Wires the cache sample into a Server: reads `cache_proxy`, starts a demo
 * origin when no upstream is configured (cacheable /small and /64k, an
 * uncacheable /private), connects the Redis tier and lock when `redis:` is
 * set (closed at shutdown), serves /metrics on `metrics_listen`, and adds the
 * proxy service on every listen address.
 */
import { demoOriginService, serveOnLoopback } from '@pingora-ts/app-demo-origin';
import { backgroundService, ExecutionPhase, type Server } from '@pingora-ts/core';
import { PrometheusMetrics, promClient, prometheusHttpService } from '@pingora-ts/prometheus';
import { httpProxyService } from '@pingora-ts/proxy';
import { CacheGateway } from './cache-gateway.ts';
import { cacheProxyConfigSchema } from './config.ts';
import { type RedisTier, redisTier } from './redis-tier.ts';

const BIG = Buffer.alloc(64 * 1024, 'x');

export async function setupCacheProxy(server: Server) {
  const config = server.appConfig(cacheProxyConfigSchema, 'cache_proxy');
  let upstreams = config.upstreams;
  if (upstreams.length === 0) {
    let version = 0;
    const origin = await serveOnLoopback((req, res) => {
      req.resume();
      version++;
      const path = (req.url ?? '/').split('?')[0];
      const body =
        path === '/64k' ? BIG : Buffer.from(`demo origin ${req.method} ${req.url} #${version}\n`);
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Content-Length': body.length,
        'Cache-Control': path === '/private' ? 'private' : 'max-age=60, stale-while-revalidate=30',
        ETag: `"${path === '/64k' ? 'big' : version}"`,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    upstreams = [origin.address];
    server.addService(demoOriginService([origin], 'demo_origin'));
  }
  let tier: RedisTier | undefined;
  const log = server.logger.child({ service: 'cache_proxy' });
  const gateway = new CacheGateway(config, upstreams, (memory) => {
    tier = redisTier(config, memory, log);
    return tier;
  });
  if (tier !== undefined) {
    const client = tier.client;
    server.addService(
      backgroundService({
        name: 'cache_redis',
        start: async (shutdown) => {
          if (!shutdown.aborted)
            await new Promise((r) => shutdown.addEventListener('abort', r, { once: true }));
          await client.close();
        },
      }),
    );
  }
  const service = httpProxyService(server.configuration, gateway, {
    name: 'cache_proxy',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  let metrics: ReturnType<typeof prometheusHttpService> | undefined;
  if (config.metricsListen !== '') {
    const registry = new promClient.Registry();
    const builtIn = new PrometheusMetrics({ registry });
    metrics = prometheusHttpService('metrics', config.metricsListen, {
      registry,
      logger: server.logger,
    });
    server.addService(metrics);
    server.onPhase((phase) => {
      if (phase === ExecutionPhase.Terminated) builtIn[Symbol.dispose]();
    });
  }
  return { service, gateway, metrics, redis: tier?.client };
}
