/**
 * Prometheus sample: `node dist/main.js -c conf.yaml`, then
 * `curl 127.0.0.1:6196/` and `curl 127.0.0.1:6150/metrics`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { core, Server } from 'pingora-ts';
import { setupMetricsProxy } from './metrics-proxy.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
core.useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupMetricsProxy(server);
server.bootstrap();
await server.runForever();
