/**
 * Upstream timeouts and the request deadline on a ManualClock: the shared
 * deadline wheel is swapped for one whose time moves only when the test
 * says, so a hung upstream is shown to get its 504 exactly when the read
 * timeout (or the request deadline) has passed, with and without retries,
 * over real sockets and without sleeping for the timeout.
 */
import { HttpPeer } from '@pingora-ts/core';
import { useDeadlineWheel } from '@pingora-ts/core/h1';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { ManualClock, TimerWheel } from '@pingora-ts/timeout';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blackhole } from '../../core/test/connectors/utils/blackhole.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request, type TestResponse } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { type RawOrigin, startRawOrigin } from './utils/raw-origin.ts';

const TICK = 10;
let clock: ManualClock;
let restore: () => void;

beforeEach(() => {
  clock = new ManualClock(1_000);
  restore = useDeadlineWheel(new TimerWheel({ clock, resolutionMs: TICK }));
});
afterEach(() => restore());

/** Lets socket events run (I/O only: the clock does not move). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

/** Starts a request and tracks whether it has been answered. */
function pending(port: number): { done: () => boolean; response: Promise<TestResponse> } {
  let finished = false;
  const response = request(port, '/').finally(() => {
    finished = true;
  });
  return { done: () => finished, response };
}

interface Ctx {
  tried: number;
}

function failover(origins: RawOrigin[], readTimeout: number): ProxyHttp<Ctx> {
  return {
    newCtx: () => ({ tried: 0 }),
    upstreamPeer: (_s, ctx) => {
      const next = origins[ctx.tried++];
      if (next === undefined) throw PingoraError.httpStatus(502, 'no healthy upstream left');
      return new HttpPeer(next.address, { options: { readTimeout } });
    },
    errorWhileProxy: (_peer, _s, e) => e.withRetry(true),
  };
}

describe('upstream deadlines on a fake clock', () => {
  it('a hung upstream gets 504 once the read timeout has passed, not before', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await startProxy(failover([hung], 5_000), { maxRetries: 0 });
    const r = pending(p.port);
    await until(() => hung.heads.length === 1);
    await settle();
    clock.advance(4_999);
    await settle();
    expect(r.done()).toBe(false);
    clock.advance(1 + TICK);
    expect((await r.response).status).toBe(504);
  });

  it('with retries: 504 after each attempt timed out, each bounded by the read timeout', async () => {
    await using a = await startRawOrigin(() => {});
    await using b = await startRawOrigin(() => {});
    let chain: string[] = [];
    await using p = await startProxy<Ctx>({
      ...failover([a, b], 5_000),
      logging: (s) => {
        chain = s.upstreamFailures.map((e) => e.kindName());
      },
    });
    const r = pending(p.port);
    await until(() => a.heads.length === 1);
    await settle();
    clock.advance(5_000 + TICK);
    // The first attempt timed out: the retry goes to b, whose timeout starts now.
    await until(() => b.heads.length === 1);
    await settle();
    clock.advance(4_000);
    await settle();
    expect(r.done()).toBe(false);
    clock.advance(1_000 + TICK);
    expect((await r.response).status).toBe(504);
    await until(() => chain.length > 0);
    // Both timeouts, then the selection that found no upstream left (still a 504).
    expect(chain).toEqual([ErrorType.ReadTimedout, ErrorType.ReadTimedout, 'HTTPStatus(502)']);
  });

  it('the request deadline ends a long wait at its limit (504), ahead of the read timeout', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await startProxy(failover([hung], 60_000), { requestTimeoutMs: 2_000 });
    const r = pending(p.port);
    await until(() => hung.heads.length === 1);
    await settle();
    clock.advance(1_900);
    await settle();
    expect(r.done()).toBe(false);
    clock.advance(100 + TICK);
    expect((await r.response).status).toBe(504);
    expect(p.errors[0]?.err).toMatch(/deadline/);
    // No retry after the deadline, even though errorWhileProxy says retry.
    expect(hung.connections).toBe(1);
  });

  it('session.setRequestTimeout in requestFilter replaces the proxy-wide deadline', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await startProxy<Ctx>(
      {
        ...failover([hung], 60_000),
        requestFilter: (s) => {
          s.setRequestTimeout(500);
          return false;
        },
      },
      { requestTimeoutMs: 30_000 },
    );
    const r = pending(p.port);
    await until(() => hung.heads.length === 1);
    await settle();
    clock.advance(400);
    await settle();
    expect(r.done()).toBe(false);
    clock.advance(100 + TICK);
    expect((await r.response).status).toBe(504);
  });

  it('the request deadline also ends a connect that has no limit of its own', async () => {
    await using hole = await blackhole();
    const errors: string[] = [];
    await using p = await startProxy<null>(
      {
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(`127.0.0.1:${hole.port}`),
        logging: (_s, e) => {
          if (e !== undefined) errors.push(e.message);
        },
      },
      { requestTimeoutMs: 1_000 },
    );
    const r = pending(p.port);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the connect is under way
    await settle();
    clock.advance(900);
    await settle();
    expect(r.done()).toBe(false);
    clock.advance(100 + TICK);
    expect((await r.response).status).toBe(504);
    await until(() => errors.length === 1);
    expect(errors[0]).toMatch(/deadline/);
  });
});
