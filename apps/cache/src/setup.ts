/**
 * Wires the cache sample into a Server: reads `cache_proxy`, starts a demo
 * origin when no upstream is configured (cacheable /small and /64k, an
 * uncacheable /private), and adds the proxy service on every listen address.
 */
import { serveOnLoopback } from '@pingora-ts/app-demo-origin';
import { backgroundService, type Server } from '@pingora-ts/core';
import { httpProxyService } from '@pingora-ts/proxy';
import { CacheGateway } from './cache-gateway.ts';
import { cacheProxyConfigSchema } from './config.ts';

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
    server.addService(
      backgroundService({
        name: 'demo_origin',
        start: async (shutdown) => {
          if (!shutdown.aborted)
            await new Promise((r) => shutdown.addEventListener('abort', r, { once: true }));
          await origin.close();
        },
      }),
    );
  }
  const gateway = new CacheGateway(config, upstreams);
  const service = httpProxyService(server.configuration, gateway, {
    name: 'cache_proxy',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return { service, gateway };
}
