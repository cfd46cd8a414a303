/**
 * The upstream pool's totals logged when a proxy stops (per server thread
 * with `threads: N`): after keep-alive requests over real sockets, one line
 * with new and reused connections and the reuse ratio; none without traffic
 * or without an info logger.
 */
import { HttpConnector, HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { HttpProxy } from '../src/http-proxy.ts';
import { logPoolTotals } from '../src/pool-totals.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

describe('upstream pool totals', () => {
  it('logs new, reused and the ratio once the proxy stops', async () => {
    await using origin = await startOrigin();
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
    };
    const lines: Array<[Record<string, unknown>, string]> = [];
    const logger = {
      error: () => {},
      warn: () => {},
      info: (obj: Record<string, unknown>, msg: string) => lines.push([obj, msg]),
    };
    await using p = await startProxy(inner, { logger: logger as never });
    for (let i = 0; i < 5; i++) expect((await request(p.port, '/')).status).toBe(200);
    p.proxy.cleanup();
    expect(lines).toEqual([
      [
        { thread: 0, newConnections: 1, reusedConnections: 4, reuseRatio: 0.8 },
        'upstream pool totals',
      ],
    ]);
  });

  it('says nothing without traffic or without an info logger', () => {
    const said: unknown[] = [];
    const connector = new HttpConnector();
    logPoolTotals(connector, {
      error: () => {},
      warn: () => {},
      info: (o: unknown) => said.push(o),
    } as never);
    connector.stats.newConnections = 1;
    logPoolTotals(connector, { error: () => {}, warn: () => {} });
    new HttpProxy({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer('127.0.0.1:1'),
    }).cleanup();
    expect(said).toEqual([]);
    connector.close();
  });
});
