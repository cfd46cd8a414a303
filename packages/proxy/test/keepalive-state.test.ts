/**
 * Requests that follow each other on one keep-alive connection share no
 * state: each gets a fresh ctx, its own body counters and an empty failure
 * chain, whatever the request before it read, sent or failed at.
 */
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { rawClient } from './utils/raw-client.ts';

interface Ctx {
  attempts: number;
  seen: string[];
}

describe('keep-alive requests on one downstream connection', () => {
  it('start clean: ctx, body counters and the failure chain are per request', async () => {
    await using origin = await startOrigin();
    // A port nothing listens on: the first attempt of /1 fails and is retried on the origin.
    const dead = await startOrigin();
    const deadAddress = dead.address;
    await dead.close();
    const logged: string[] = [];
    await using p = await startProxy<Ctx>({
      newCtx: () => ({ attempts: 0, seen: [] }),
      upstreamPeer: (s, ctx) => {
        ctx.attempts++;
        const first = s.reqHeader.target === '/echo/1' && ctx.attempts === 1;
        return new HttpPeer(first ? deadAddress : origin.address);
      },
      failToConnect: (_s, _peer, _ctx, e) => e.withRetry(true),
      upstreamRequestFilter: (_s, req, ctx) => {
        ctx.seen.push(req.target);
      },
      logging: (s, error, ctx) => {
        logged.push(
          [
            s.reqHeader.target,
            `attempts=${ctx.attempts}`,
            `seen=${ctx.seen.join('|')}`,
            `failures=${s.upstreamFailures.length}`,
            `retries=${s.retries}`,
            `sent=${s.requestBodySent}`,
            `error=${error?.type ?? 'none'}`,
          ].join(' '),
        );
      },
    });
    const c = await rawClient(p.port);
    const r1 = await c.send(
      'POST /echo/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Only-1: yes\r\n\r\nhello',
    );
    const r2 = await c.send('GET /echo/2 HTTP/1.1\r\nHost: a\r\n\r\n');
    c.socket.destroy();
    expect(r1.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(r2.startsWith('HTTP/1.1 200 ')).toBe(true);
    const body2 = JSON.parse(r2.slice(r2.indexOf('\r\n\r\n') + 4)) as {
      bytes: number;
      rawHeaders: string[];
    };
    expect(body2.bytes).toBe(0);
    expect(body2.rawHeaders.map((h) => h.toLowerCase())).not.toContain('x-only-1');
    await expect.poll(() => logged.length).toBe(2);
    expect(logged).toEqual([
      '/echo/1 attempts=2 seen=/echo/1 failures=1 retries=1 sent=5 error=none',
      '/echo/2 attempts=1 seen=/echo/2 failures=0 retries=0 sent=0 error=none',
    ]);
  });
});
