/**
 * The gateway (Pingora's gateway example): requestFilter guards /admin with
 * a bearer token and answers 403 itself; upstreamPeer routes /api/* and
 * Host api.* to the API origin and everything else to the web origin.
 */

import { demoOriginService, startDemoOrigin } from '@pingora-ts/app-demo-origin';
import { configField, defineConfigSchema, HttpPeer, type Server } from '@pingora-ts/core';
import type { ResponseHeader } from '@pingora-ts/http';
import { httpProxyService, type ProxyHttp, type Session } from '@pingora-ts/proxy';

export const gatewayConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6191'], maxItems: 64 }),
  apiUpstream: configField.string({ key: 'api_upstream', default: '' }),
  webUpstream: configField.string({ key: 'web_upstream', default: '' }),
  adminToken: configField.string({ key: 'admin_token', default: 'change-me' }),
});

export type GatewayConfig = ReturnType<typeof gatewayConfigSchema.read>;

export class Gateway implements ProxyHttp<null> {
  readonly #api: HttpPeer;
  readonly #web: HttpPeer;
  readonly #authorization: string;

  constructor(api: string, web: string, adminToken: string) {
    this.#api = new HttpPeer(api);
    this.#web = new HttpPeer(web);
    this.#authorization = `Bearer ${adminToken}`;
  }

  newCtx(): null {
    return null;
  }

  async requestFilter(session: Session): Promise<boolean> {
    const req = session.reqHeader;
    if (req.path.startsWith('/admin') && req.getHeader('authorization') !== this.#authorization) {
      await session.respond(403, 'forbidden\n', { 'Content-Type': 'text/plain' });
      return true;
    }
    return false;
  }

  upstreamPeer(session: Session): HttpPeer {
    const req = session.reqHeader;
    const host = req.getHeader('host') ?? '';
    return req.path.startsWith('/api/') || host.startsWith('api.') ? this.#api : this.#web;
  }

  responseFilter(_session: Session, resp: ResponseHeader): void {
    resp.insertHeader('Server', 'pingora-ts-gateway');
  }
}

/** Adds the gateway (and demo origins when none are configured) to `server`. */
export async function setupGateway(server: Server) {
  const config = server.appConfig(gatewayConfigSchema, 'gateway');
  let { apiUpstream, webUpstream } = config;
  if (apiUpstream === '' || webUpstream === '') {
    const api = await startDemoOrigin('api-origin', 'application/json');
    const web = await startDemoOrigin('web-origin', 'text/html; charset=utf-8');
    apiUpstream ||= api.address;
    webUpstream ||= web.address;
    server.addService(demoOriginService([api, web]));
  }
  const gateway = new Gateway(apiUpstream, webUpstream, config.adminToken);
  const service = httpProxyService(server.configuration, gateway, {
    name: 'gateway',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
