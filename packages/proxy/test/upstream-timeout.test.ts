/**
 * The status of an upstream that accepts and never answers: 504 within the
 * read timeout, also after retries, even when the retry ends in "no healthy
 * upstream left"; and the failure chain (first failure, retries, last) that
 * the logging phase and the error log see.
 */
import { HttpPeer } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import type { Session } from '../src/session.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { startRawOrigin } from './utils/raw-origin.ts';

const READ_TIMEOUT_MS = 250;
/** Timeouts fire a wheel tick late at most; allow for a loaded machine too. */
const SLACK_MS = 600;

interface Ctx {
  tried: string[];
  chain: string[];
}

/** Proxies to `addresses` in turn, retrying a failed fresh attempt elsewhere, like the load-balancer sample. */
function failover(addresses: string[]): ProxyHttp<Ctx> {
  return {
    newCtx: () => ({ tried: [], chain: [] }),
    upstreamPeer: (_s, ctx) => {
      const next = addresses.find((a) => !ctx.tried.includes(a));
      if (next === undefined) throw PingoraError.httpStatus(502, 'no healthy upstream left');
      ctx.tried.push(next);
      return new HttpPeer(next, { options: { readTimeout: READ_TIMEOUT_MS } });
    },
    errorWhileProxy: (_peer, _s, e) => e.withRetry(true),
    logging: (s: Session, _e, ctx) => {
      ctx.chain.push(...s.upstreamFailures.map((f) => f.kindName()));
    },
  };
}

describe('hung upstream', () => {
  it('answers 504 within the read timeout without retries', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(hung.address, { options: { readTimeout: READ_TIMEOUT_MS } }),
    });
    const t0 = performance.now();
    const res = await request(p.port, '/');
    const elapsed = performance.now() - t0;
    expect(res.status).toBe(504);
    expect(elapsed).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(READ_TIMEOUT_MS + SLACK_MS);
    expect(p.errors.length).toBe(1);
    expect(p.errors[0]?.err).toMatch(/ReadTimedout/);
  });

  it('answers 504, not 502, when the retry finds no upstream left', async () => {
    await using hung = await startRawOrigin(() => {});
    let ctxSeen: Ctx | undefined;
    const inner = failover([hung.address]);
    await using p = await startProxy<Ctx>({
      ...inner,
      logging: (s, e, ctx) => {
        inner.logging?.(s, e, ctx);
        ctxSeen = ctx;
      },
    });
    const t0 = performance.now();
    const res = await request(p.port, '/');
    expect(res.status).toBe(504);
    expect(performance.now() - t0).toBeLessThan(READ_TIMEOUT_MS + SLACK_MS);
    // The chain: the timeout, then the selection that found nothing to retry on.
    expect(ctxSeen?.chain).toEqual([ErrorType.ReadTimedout, 'HTTPStatus(502)']);
    expect(p.errors.length).toBe(1);
    const logged = p.errors[0] as { err: string; failures?: string[]; retries?: number };
    expect(logged.err).toMatch(/ReadTimedout/);
    expect(logged.retries).toBe(1);
    expect(logged.failures?.length).toBe(2);
    expect(logged.failures?.[1]).toMatch(/no healthy upstream left/);
  });

  it('answers 504 after every retry timed out, keeping each failure in order', async () => {
    await using a = await startRawOrigin(() => {});
    await using b = await startRawOrigin(() => {});
    await using c = await startRawOrigin(() => {});
    let chain: string[] = [];
    const inner = failover([a.address, b.address, c.address]);
    await using p = await startProxy<Ctx>(
      {
        ...inner,
        logging: (s, e, ctx) => {
          inner.logging?.(s, e, ctx);
          chain = ctx.chain;
        },
      },
      { maxRetries: 2 },
    );
    const t0 = performance.now();
    const res = await request(p.port, '/');
    const elapsed = performance.now() - t0;
    expect(res.status).toBe(504);
    // Three attempts, each bounded by the read timeout.
    expect(elapsed).toBeGreaterThanOrEqual(3 * READ_TIMEOUT_MS - 15);
    expect(elapsed).toBeLessThan(3 * (READ_TIMEOUT_MS + SLACK_MS));
    expect(chain).toEqual([ErrorType.ReadTimedout, ErrorType.ReadTimedout, ErrorType.ReadTimedout]);
    expect([a.connections, b.connections, c.connections]).toEqual([1, 1, 1]);
  });
});

describe('failure chain', () => {
  it('ends with an upstream failure that came after the response started', async () => {
    await using origin = await startRawOrigin((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    });
    let chain: string[] = [];
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address, { options: { readTimeout: 200 } }),
      logging: (s) => {
        chain = s.upstreamFailures.map((f) => f.kindName());
      },
    });
    await request(p.port, '/').catch(() => undefined);
    for (let i = 0; i < 100 && chain.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(chain).toEqual([ErrorType.ReadTimedout]);
  });
});
