/**
 * Ctx (Pingora's ctx example): state per request and state shared by all
 * requests. newCtx() makes the per-request BetaCtx, filled by requestFilter
 * and read by later phases; the counters live on the proxy object itself,
 * shared by every request this process serves.
 */

import { demoOriginService, startDemoOrigin } from '@pingora-ts/app-demo-origin';
import { configField, defineConfigSchema, HttpPeer, type Server } from '@pingora-ts/core';
import type { ResponseHeader } from '@pingora-ts/http';
import { httpProxyService, type ProxyHttp, type Session } from '@pingora-ts/proxy';

export const ctxConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6193'], maxItems: 64 }),
  upstream: configField.string({ default: '' }),
  betaUpstream: configField.string({ key: 'beta_upstream', default: '' }),
});

/** Per request. */
export interface BetaCtx {
  betaUser: boolean;
  /** This request's number among all requests (shared counter). */
  requestNumber: number;
}

export class BetaRouter implements ProxyHttp<BetaCtx> {
  /** Shared across requests: one event loop, so plain counters need no lock. */
  requests = 0;
  betaRequests = 0;
  readonly #stable: HttpPeer;
  readonly #beta: HttpPeer;

  constructor(stable: string, beta: string) {
    this.#stable = new HttpPeer(stable);
    this.#beta = new HttpPeer(beta);
  }

  newCtx(): BetaCtx {
    return { betaUser: false, requestNumber: 0 };
  }

  requestFilter(session: Session, ctx: BetaCtx): boolean {
    ctx.betaUser = session.reqHeader.hasHeader('beta-flag');
    return false;
  }

  upstreamPeer(_session: Session, ctx: BetaCtx): HttpPeer {
    ctx.requestNumber = ++this.requests;
    if (!ctx.betaUser) return this.#stable;
    this.betaRequests++;
    return this.#beta;
  }

  responseFilter(_session: Session, resp: ResponseHeader, ctx: BetaCtx): void {
    resp.insertHeader('X-Request-Number', ctx.requestNumber);
    if (ctx.betaUser) resp.insertHeader('X-Beta-Request-Number', this.betaRequests);
  }
}

/** Adds the proxy (and demo origins when none are configured) to `server`. */
export async function setupCtx(server: Server) {
  const config = server.appConfig(ctxConfigSchema, 'ctx');
  let { upstream, betaUpstream } = config;
  if (upstream === '' || betaUpstream === '') {
    const stable = await startDemoOrigin('stable-origin', 'text/plain');
    const beta = await startDemoOrigin('beta-origin', 'text/plain');
    upstream ||= stable.address;
    betaUpstream ||= beta.address;
    server.addService(demoOriginService([stable, beta]));
  }
  const router = new BetaRouter(upstream, betaUpstream);
  const service = httpProxyService(server.configuration, router, {
    name: 'ctx',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
