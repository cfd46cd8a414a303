/**
 * Gateway sample: `node dist/main.js -c conf.yaml`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server } from '@pingora-ts/core';
import { setupGateway } from './gateway.ts';

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupGateway(server);
server.bootstrap();
await server.runForever();
