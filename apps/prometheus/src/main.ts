/**
 * Prometheus sample: `node dist/main.js -c conf.yaml`, then
 * `curl 127.0.0.1:6196/` and `curl 127.0.0.1:6150/metrics`.
 */
import { Server } from 'pingora-ts';
import { setupMetricsProxy } from './metrics-proxy.ts';

const server = Server.fromArgs();
await setupMetricsProxy(server);
server.bootstrap();
await server.runForever();
