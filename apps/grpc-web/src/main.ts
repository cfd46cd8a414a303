/**
 * gRPC-web sample: `node dist/main.js -c conf.yaml`.
 */
import { Server } from '@pingora-ts/core';
import { setupGrpcWeb } from './grpc-web-proxy.ts';

const server = Server.fromArgs();
await setupGrpcWeb(server);
server.bootstrap();
await server.runForever();
