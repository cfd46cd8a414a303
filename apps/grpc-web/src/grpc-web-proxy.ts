/**
 * gRPC-web: browsers speak gRPC-web (binary `application/grpc-web` or base64
 * `application/grpc-web-text`, over HTTP/1.1 or h2); the GrpcWeb module
 * (Pingora's grpc_web_module example) turns each call into gRPC to an h2c
 * upstream and its trailers into the gRPC-web trailer frame.
 */
import {
  ALPN,
  backgroundService,
  configField,
  defineConfigSchema,
  GrpcWebBuilder,
  type HttpModules,
  HttpPeer,
  type Server,
} from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { startDemoGrpc } from './demo-grpc.ts';

export const grpcWebConfigSchema = defineConfigSchema({
  listen: configField.addressList({ default: ['127.0.0.1:6200'], maxItems: 64 }),
  upstream: configField.string({ default: '' }),
  h2c: configField.boolean({ default: true }),
});

export class GrpcWebProxy implements ProxyHttp<null> {
  readonly #peer: HttpPeer;

  constructor(upstream: string) {
    // gRPC needs HTTP/2 end to end: prior knowledge over plaintext, many calls per connection.
    this.#peer = new HttpPeer(upstream, { options: { alpn: ALPN.H2, maxH2Streams: 100 } });
  }

  initDownstreamModules(modules: HttpModules): void {
    modules.addModule(new GrpcWebBuilder());
  }

  newCtx(): null {
    return null;
  }

  upstreamPeer(): HttpPeer {
    return this.#peer;
  }
}

/** Adds the gateway (and the demo gRPC service when no upstream is configured) to `server`. */
export async function setupGrpcWeb(server: Server) {
  const config = server.appConfig(grpcWebConfigSchema, 'grpc_web');
  let upstream = config.upstream;
  if (upstream === '') {
    const demo = await startDemoGrpc();
    upstream = demo.address;
    server.addService(
      backgroundService({
        name: 'demo_grpc',
        start: async (shutdown) => {
          if (!shutdown.aborted)
            await new Promise((r) => shutdown.addEventListener('abort', r, { once: true }));
          await demo.close();
        },
      }),
    );
  }
  const service = httpProxyService(server.configuration, new GrpcWebProxy(upstream), {
    name: 'grpc_web',
    logger: server.logger,
    h2c: config.h2c,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
