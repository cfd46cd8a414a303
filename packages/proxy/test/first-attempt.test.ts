/**
 * The first upstream attempt of a request runs on callbacks when its peer is
 * known at once and the pool has a connection (HttpProxy's fast path); every
 * other case, and every retry, takes the general loop. Both must give the
 * same phases, answers and retries.
 */
import { HttpPeer } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { rawClient } from './utils/raw-client.ts';

interface Ctx {
  phases: string[];
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('the first attempt on a pooled connection', () => {
  it('runs async phases, a promised peer, a retried failure and a final failure like the general loop', async () => {
    await using origin = await startOrigin();
    const logged: string[] = [];
    await using p = await startProxy<Ctx>({
      newCtx: () => ({ phases: [] }),
      upstreamPeer: (s, ctx) => {
        ctx.phases.push('peer');
        const peer = new HttpPeer(origin.address);
        return s.reqHeader.target === '/echo/promised' ? tick().then(() => peer) : peer;
      },
      connectedToUpstream: (s, reused, _peer, ctx) => {
        ctx.phases.push(reused ? 'connected:reused' : 'connected:new');
        return s.reqHeader.target === '/echo/async' ? tick() : undefined;
      },
      upstreamRequestFilter: (s, _req, ctx) => {
        ctx.phases.push('upstreamRequest');
        const target = s.reqHeader.target;
        if (target === '/echo/retry' && s.retries === 0) {
          throw PingoraError.explain(ErrorType.ConnectError, 'first attempt refused').withRetry(
            true,
          );
        }
        if (target === '/echo/fail') throw PingoraError.httpStatus(418, 'filter says no');
        return target === '/echo/async' ? tick() : undefined;
      },
      responseFilter: (_s, resp, ctx) => {
        ctx.phases.push('response');
        resp.insertHeader('X-Phases', ctx.phases.join(','));
      },
      logging: (s, error, ctx) => {
        logged.push(
          `${s.reqHeader.target} retries=${s.retries} error=${error?.type ?? 'none'} ${ctx.phases.join(',')}`,
        );
      },
    });
    const c = await rawClient(p.port);
    // The first request opens the upstream connection; the others find it pooled.
    for (const target of [
      '/echo/warm',
      '/echo/sync',
      '/echo/async',
      '/echo/promised',
      '/echo/retry',
    ]) {
      const r = await c.send(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
      expect(r.startsWith('HTTP/1.1 200 '), `${target}: ${r}`).toBe(true);
      expect(r).toContain(`"url":"${target}"`);
    }
    const failed = await c.send('GET /echo/fail HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(failed.startsWith('HTTP/1.1 418 ')).toBe(true);
    c.socket.destroy();
    await expect.poll(() => logged.length).toBe(6);
    expect(logged).toEqual([
      '/echo/warm retries=0 error=none peer,connected:new,upstreamRequest,response',
      '/echo/sync retries=0 error=none peer,connected:reused,upstreamRequest,response',
      '/echo/async retries=0 error=none peer,connected:reused,upstreamRequest,response',
      '/echo/promised retries=0 error=none peer,connected:reused,upstreamRequest,response',
      '/echo/retry retries=1 error=none peer,connected:reused,upstreamRequest,peer,connected:new,upstreamRequest,response',
      '/echo/fail retries=0 error=HTTPStatus peer,connected:reused,upstreamRequest',
    ]);
  });
});
