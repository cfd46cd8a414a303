/**
 * Multi-LB sample: `node dist/main.js -c conf.yaml`. One ListeningService
 * runs the proxy; each upstream group's load balancer runs as a background
 * service (health checks every health_check_interval_ms).
 */
import { backgroundService, HttpServer, ListeningService, Server } from '@pingora-ts/core';
import { HttpProxy } from '@pingora-ts/proxy';
import { multiLb, multiLbConfigSchema } from './multi-lb-app.ts';

const server = Server.fromArgs();
const config = server.appConfig(multiLbConfigSchema, 'multi_lb');
const logger = server.logger.child({ service: 'multi-lb' });
const { proxy, groups } = multiLb(config, server.logger.child({ service: 'multi-lb-upstreams' }));

const listening = new ListeningService(
  'multi-lb',
  new HttpServer(new HttpProxy(proxy, { logger })),
);
for (const addr of config.listen) listening.addTcp(addr);

server.addService(listening);
for (const [name, lb] of groups) {
  server.addService(backgroundService(lb.backgroundService(`health check ${name}`)));
}
server.bootstrap();
await server.runForever();
