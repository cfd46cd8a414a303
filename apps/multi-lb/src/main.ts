/**
 * Multi-LB sample: `node dist/main.js -c conf.yaml`. One ListeningService
 * runs the proxy; each upstream group's load balancer runs as a service of
 * its own (health checks every health_check_interval_ms) that the proxy
 * depends on.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { httpProxyService } from '@pingora-ts/proxy';
import { multiLb, multiLbConfigSchema } from './multi-lb-app.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(multiLbConfigSchema, 'multi_lb');
const logger = server.logger.child({ service: 'multi-lb' });
const { proxy, groups } = multiLb(config, server.logger.child({ service: 'multi-lb-upstreams' }));

// The server's settings (pool, max_retries, the timeout keys) apply to the proxy.
const listening = httpProxyService(server.configuration, proxy, { name: 'multi-lb', logger });
for (const addr of config.listen) listening.addAddress(addr);

// The proxy starts once each group has run its first discovery and health check round.
const upstreams = [...groups].map(([name, lb]) =>
  server.addService(lb.service(`upstreams ${name}`, { readyAfter: 'health-check' })),
);
server.addService(listening, { dependsOn: upstreams });
server.bootstrap();
await server.runForever();
