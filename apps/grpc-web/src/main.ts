/**
 * gRPC-web sample: `node dist/main.js -c conf.yaml`.
 */
import { Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { setupGrpcWeb } from './grpc-web-proxy.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs();
await setupGrpcWeb(server);
server.bootstrap();
await server.runForever();
