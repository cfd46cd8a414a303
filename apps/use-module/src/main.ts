/**
 * Use-module sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupUseModule } from './module-proxy.ts';

const server = Server.fromArgs();
await setupUseModule(server);
server.bootstrap();
await server.runForever();
