/**
 * Load balancer sample: `node dist/main.js -c conf.yaml`. Pingora's quick
 * start in TypeScript: a Server from the CLI and YAML, a LoadBalancer whose
 * selection algorithm, weights and health check come from the
 * `load_balancer` section, and an HttpProxy listening service in front.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server } from '@pingora-ts/core';
import { addGateway } from './gateway.ts';

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await addGateway(server);
server.bootstrap();
await server.runForever();
