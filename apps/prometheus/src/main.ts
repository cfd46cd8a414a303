/**
 * Prometheus sample: `node dist/main.js -c conf.yaml`, then
 * `curl 127.0.0.1:6196/` and `curl 127.0.0.1:6150/metrics`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server } from 'pingora-ts';
import { setupMetricsProxy } from './metrics-proxy.ts';

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupMetricsProxy(server);
server.bootstrap();
await server.runForever();
