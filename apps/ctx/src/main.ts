/**
 * Ctx sample: `node dist/main.js -c conf.yaml`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server } from '@pingora-ts/core';
import { setupCtx } from './ctx-proxy.ts';

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupCtx(server);
server.bootstrap();
await server.runForever();
