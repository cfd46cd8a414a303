/**
 * Load balancer sample: `node dist/main.js -c conf.yaml`. Pingora's quick
 * start in TypeScript: a Server from the CLI and YAML, a LoadBalancer with
 * round robin and TCP health checks as a background service, and an
 * HttpProxy listening service in front of it.
 */
import { backgroundService, Server } from '@pingora-ts/core';
import {
  HttpHealthCheck,
  LoadBalancer,
  RoundRobin,
  TcpHealthCheck,
} from '@pingora-ts/load-balancing';
import { httpProxyService } from '@pingora-ts/proxy';
import { startDemoOrigins } from './demo-origins.ts';
import { LbProxy, lbConfigSchema } from './lb-proxy.ts';

const server = Server.fromArgs();
const config = server.appConfig(lbConfigSchema, 'load_balancer');

let upstreams = config.upstreams;
if (upstreams.length === 0) {
  const demo = await startDemoOrigins(2);
  upstreams = demo.addresses;
  server.logger.info({ upstreams }, 'no upstreams configured: started demo origins');
  server.addService(
    backgroundService({
      name: 'demo_origins',
      start: (shutdown) =>
        new Promise<void>((resolve) => {
          shutdown.addEventListener('abort', () => demo.close().then(resolve), { once: true });
        }),
    }),
  );
}

const lb = LoadBalancer.fromAddrs(upstreams, RoundRobin, {
  healthCheckFrequencyMs: config.healthCheckIntervalSeconds * 1000,
});
lb.setHealthCheck(
  config.healthCheckPath === ''
    ? new TcpHealthCheck()
    : new HttpHealthCheck({ host: 'localhost', path: config.healthCheckPath }),
);

const proxy = httpProxyService(server.configuration, new LbProxy(lb), {
  name: 'load_balancer',
  logger: server.logger,
});
for (const addr of config.listen) proxy.addTcp(addr);

server.addService(backgroundService(lb.backgroundService('health_check')));
server.addService(proxy);
server.bootstrap();
await server.runForever();
