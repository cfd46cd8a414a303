/**
 * Backoff-retry (Pingora's backoff_retry example): a failed connect is
 * marked retryable in failToConnect, and upstreamPeer waits 10^n ms (capped)
 * before the n-th retry. Upstreams are tried in turn, so a dead one is
 * followed by the next; the server's max_retries bounds the attempts.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoOriginService, startDemoOrigin } from '@pingora-ts/app-demo-origin';
import { configField, defineConfigSchema, HttpPeer, type Server } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import type { ResponseHeader } from '@pingora-ts/http';
import { httpProxyService, type ProxyHttp, type Session } from '@pingora-ts/proxy';

export const backoffConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6194'], maxItems: 64 }),
  upstreams: configField.stringList({ default: [], maxItems: 64 }),
  connectTimeoutMs: configField.integer({
    key: 'connect_timeout_ms',
    default: 100,
    min: 1,
    max: 60_000,
  }),
  maxBackoffMs: configField.integer({
    key: 'max_backoff_ms',
    default: 10_000,
    min: 1,
    max: 60_000,
  }),
});

export interface RetryCtx {
  retries: number;
}

export class BackoffRetry implements ProxyHttp<RetryCtx> {
  readonly #peers: HttpPeer[];
  readonly #maxBackoffMs: number;

  constructor(upstreams: readonly string[], connectTimeoutMs: number, maxBackoffMs: number) {
    this.#peers = upstreams.map(
      (u) => new HttpPeer(u, { options: { connectionTimeout: connectTimeoutMs } }),
    );
    this.#maxBackoffMs = maxBackoffMs;
  }

  newCtx(): RetryCtx {
    return { retries: 0 };
  }

  async upstreamPeer(_session: Session, ctx: RetryCtx): Promise<HttpPeer> {
    if (ctx.retries > 0) await sleep(Math.min(10 ** ctx.retries, this.#maxBackoffMs));
    return this.#peers[ctx.retries % this.#peers.length] as HttpPeer;
  }

  failToConnect(_session: Session, _peer: HttpPeer, ctx: RetryCtx, e: PingoraError): PingoraError {
    ctx.retries++;
    return e.withRetry(true);
  }

  responseFilter(_session: Session, resp: ResponseHeader, ctx: RetryCtx): void {
    resp.insertHeader('X-Retries', ctx.retries);
  }
}

/** An address nothing listens on: a port bound and released again. */
async function deadAddress(): Promise<string> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return `127.0.0.1:${port}`;
}

/** Adds the proxy (and, with no upstreams configured, a dead address plus a demo origin). */
export async function setupBackoffRetry(server: Server) {
  const config = server.appConfig(backoffConfigSchema, 'backoff_retry');
  let upstreams = config.upstreams;
  if (upstreams.length === 0) {
    const demo = await startDemoOrigin('demo-origin', 'text/plain');
    upstreams = [await deadAddress(), demo.address];
    server.addService(demoOriginService([demo], 'demo_origin'));
  }
  const proxy = new BackoffRetry(upstreams, config.connectTimeoutMs, config.maxBackoffMs);
  const service = httpProxyService(server.configuration, proxy, {
    name: 'backoff_retry',
    logger: server.logger,
  });
  for (const addr of config.listen) service.addTcp(addr);
  server.addService(service);
  return service;
}
