/**
 * Cache sample: `node dist/main.js -c conf.yaml`, then `curl -i 127.0.0.1:6202/small`
 * twice (MISS, then HIT) and `curl -X PURGE 127.0.0.1:6202/small`.
 */
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { setupCacheProxy } from './setup.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs();
await setupCacheProxy(server);
server.bootstrap();
await server.runForever();
