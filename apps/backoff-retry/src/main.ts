/**
 * Backoff-retry sample: `node dist/main.js -c conf.yaml`.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { setupBackoffRetry } from './backoff-proxy.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
await setupBackoffRetry(server);
server.bootstrap();
await server.runForever();
