/**
 * Use-module sample: `node dist/main.js -c conf.yaml`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server } from '@pingora-ts/core';
import { setupUseModule } from './module-proxy.ts';

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupUseModule(server);
server.bootstrap();
await server.runForever();
