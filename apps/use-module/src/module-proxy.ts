/**
 * Use-module: a proxy whose behaviour comes from HttpModules registered in
 * initDownstreamModules: core's ResponseCompression (gzip/br/zstd by the
 * client's Accept-Encoding) and the custom ACL module.
 */

import { demoOriginService, startDemoOrigin } from '@pingora-ts/app-demo-origin';
import {
  configField,
  defineConfigSchema,
  type HttpModules,
  HttpPeer,
  ResponseCompressionBuilder,
  type Server,
} from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { AclBuilder } from './acl-module.ts';

export const moduleConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6195'], maxItems: 64 }),
  upstream: configField.string({ default: '' }),
  compressionLevel: configField.integer({ key: 'compression_level', default: 5, min: 0, max: 11 }),
  credential: configField.string({ default: 'testcode' }),
});

export class ModuleProxy implements ProxyHttp<null> {
  readonly #peer: HttpPeer;
  readonly #level: number;
  readonly #credential: string;

  constructor(upstream: string, level: number, credential: string) {
    this.#peer = new HttpPeer(upstream);
    this.#level = level;
    this.#credential = credential;
  }

  initDownstreamModules(modules: HttpModules): void {
    modules.addModule(ResponseCompressionBuilder.enable(this.#level));
    if (this.#credential !== '') modules.addModule(new AclBuilder(this.#credential));
  }

  newCtx(): null {
    return null;
  }

  upstreamPeer(): HttpPeer {
    return this.#peer;
  }
}

/** Adds the proxy (and a demo origin when none is configured) to `server`. */
export async function setupUseModule(server: Server) {
  const config = server.appConfig(moduleConfigSchema, 'use_module');
  let upstream = config.upstream;
  if (upstream === '') {
    const demo = await startDemoOrigin('demo-origin', 'text/html; charset=utf-8');
    upstream = demo.address;
    server.addService(demoOriginService([demo], 'demo_origin'));
  }
  const proxy = new ModuleProxy(upstream, config.compressionLevel, config.credential);
  const service = httpProxyService(server.configuration, proxy, {
    name: 'use_module',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
