/**
 * Gateway sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupGateway } from './gateway.ts';

const server = Server.fromArgs();
await setupGateway(server);
server.bootstrap();
await server.runForever();
