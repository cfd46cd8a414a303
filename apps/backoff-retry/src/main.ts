/**
 * Backoff-retry sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupBackoffRetry } from './backoff-proxy.ts';

const server = Server.fromArgs();
await setupBackoffRetry(server);
server.bootstrap();
await server.runForever();
