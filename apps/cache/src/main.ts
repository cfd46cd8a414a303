/**
 * Cache sample: `node dist/main.js -c conf.yaml`, then `curl -i 127.0.0.1:6202/small`
 * twice (MISS, then HIT) and `curl -X PURGE 127.0.0.1:6202/small`.
 */
import { Server } from '@pingora-ts/core';
import { setupCacheProxy } from './setup.ts';

const server = Server.fromArgs();
await setupCacheProxy(server);
server.bootstrap();
await server.runForever();
