/**
 * Ctx sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupCtx } from './ctx-proxy.ts';

const server = Server.fromArgs();
await setupCtx(server);
server.bootstrap();
await server.runForever();
