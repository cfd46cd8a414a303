/**
 * Modify-response sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupModifyResponse } from './modify-response.ts';

const server = Server.fromArgs();
await setupModifyResponse(server);
server.bootstrap();
await server.runForever();
