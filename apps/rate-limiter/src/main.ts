/**
 * Rate-limiter sample: `node dist/main.js -c conf.yaml`. One ListeningService
 * runs the limiting proxy; its load balancer's health checks run as a
 * service the proxy depends on.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { httpProxyService } from '@pingora-ts/proxy';
import { rateLimiter, rateLimiterConfigSchema } from './rate-limiter-app.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(rateLimiterConfigSchema, 'rate_limiter');
const logger = server.logger.child({ service: 'rate-limiter' });
const { proxy, lb } = rateLimiter(
  config,
  server.logger.child({ service: 'rate-limiter-upstreams' }),
  logger,
);

// The server's settings (pool, max_retries, the timeout keys) apply to the proxy.
const listening = httpProxyService(server.configuration, proxy, { name: 'rate-limiter', logger });
for (const addr of config.listen) listening.addAddress(addr);

// The proxy starts once the upstreams had their first health check round.
const upstreams = server.addService(lb.service('upstreams', { readyAfter: 'health-check' }));
server.addService(listening, { dependsOn: [upstreams] });
server.bootstrap();
await server.runForever();
