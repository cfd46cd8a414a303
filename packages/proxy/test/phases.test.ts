import { HttpPeer } from '@pingora-ts/core';
import { ErrorType, type PingoraError } from '@pingora-ts/error';
import type { HeaderList, RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import type { Session } from '../src/session.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

interface Ctx {
  calls: string[];
  id: number;
}

/** A ProxyHttp that records every phase with the data it saw. */
function recorder(address: string, log: string[][]): ProxyHttp<Ctx> {
  let next = 0;
  const rec = (ctx: Ctx, what: string): void => {
    ctx.calls.push(what);
  };
  return {
    newCtx: () => {
      const ctx = { calls: [], id: next++ };
      log.push(ctx.calls);
      return ctx;
    },
    earlyRequestFilter: (_s: Session, ctx: Ctx) => rec(ctx, 'earlyRequestFilter'),
    requestFilter: async (s: Session, ctx: Ctx) => {
      rec(ctx, `requestFilter ${s.reqHeader.method} ${s.reqHeader.target}`);
      return false;
    },
    proxyUpstreamFilter: (_s: Session, ctx: Ctx) => {
      rec(ctx, 'proxyUpstreamFilter');
      return true;
    },
    upstreamPeer: (_s: Session, ctx: Ctx) => {
      rec(ctx, 'upstreamPeer');
      return new HttpPeer(address);
    },
    connectedToUpstream: (_s: Session, reused: boolean, _p: HttpPeer, ctx: Ctx) =>
      rec(ctx, `connectedToUpstream reused=${reused}`),
    upstreamRequestFilter: (_s: Session, req: RequestHeader, ctx: Ctx) => {
      rec(ctx, 'upstreamRequestFilter');
      req.insertHeader('X-Added-Upstream', String(ctx.id));
    },
    requestBodyFilter: (_s: Session, body: Buffer | null, eos: boolean, ctx: Ctx) => {
      rec(ctx, `requestBodyFilter ${body?.length ?? 'null'} ${eos}`);
    },
    upstreamResponseFilter: (_s: Session, resp: ResponseHeader, ctx: Ctx) => {
      rec(ctx, `upstreamResponseFilter ${resp.status}`);
    },
    responseFilter: (_s: Session, resp: ResponseHeader, ctx: Ctx) => {
      rec(ctx, 'responseFilter');
      resp.insertHeader('X-Ctx-Id', String(ctx.id));
    },
    upstreamResponseBodyFilter: (_s: Session, body: Buffer | null, eos: boolean, ctx: Ctx) => {
      rec(ctx, `upstreamResponseBodyFilter ${body === null ? 'null' : 'data'} ${eos}`);
    },
    responseBodyFilter: (_s: Session, body: Buffer | null, eos: boolean, ctx: Ctx) => {
      rec(ctx, `responseBodyFilter ${body === null ? 'null' : 'data'} ${eos}`);
    },
    upstreamResponseTrailerFilter: (_s: Session, _t: HeaderList, ctx: Ctx) =>
      rec(ctx, 'upstreamResponseTrailerFilter'),
    logging: (s: Session, e: PingoraError | undefined, ctx: Ctx) => {
      rec(ctx, `logging ${e?.type ?? 'ok'} retries=${s.retries}`);
    },
  };
}

/** Collapses repeated body filter calls so the order check does not depend on chunking. */
function squash(calls: string[]): string[] {
  const out: string[] = [];
  for (const c of calls) if (out[out.length - 1] !== c) out.push(c);
  return out;
}

describe('phase order', () => {
  it('calls every phase in the documented order with typed ctx', async () => {
    await using origin = await startOrigin();
    const log: string[][] = [];
    await using p = await startProxy(recorder(origin.address, log));
    const res = await request(p.port, '/echo', { method: 'POST', body: 'hello body' });
    expect(res.status).toBe(200);
    expect(res.headers['x-ctx-id']).toBe('0');
    expect(JSON.parse(res.body.toString()).rawHeaders).toContain('X-Added-Upstream');
    expect(squash(log[0]!)).toEqual([
      'earlyRequestFilter',
      'requestFilter POST /echo',
      'proxyUpstreamFilter',
      'upstreamPeer',
      'connectedToUpstream reused=false',
      'upstreamRequestFilter',
      'requestBodyFilter 10 false',
      'requestBodyFilter null true',
      'upstreamResponseFilter 200',
      'responseFilter',
      'upstreamResponseBodyFilter data false',
      'responseBodyFilter data false',
      'upstreamResponseBodyFilter null true',
      'responseBodyFilter null true',
      'logging ok retries=0',
    ]);
    // A second request reuses the pooled connection and gets a fresh ctx.
    await request(p.port, '/hello');
    expect(log[1]).toContain('connectedToUpstream reused=true');
    expect(log[1]).not.toContain('requestBodyFilter null true');
  });

  it('short-circuits in requestFilter: no upstream phases, then logging', async () => {
    await using origin = await startOrigin();
    const calls: string[] = [];
    await using p = await startProxy<null>({
      newCtx: () => null,
      requestFilter: async (s) => {
        calls.push('requestFilter');
        if (s.reqHeader.getHeader('authorization') !== 'secret') {
          await s.respond(403, 'forbidden\n', { 'Content-Type': 'text/plain' });
          return true;
        }
        return false;
      },
      upstreamPeer: () => {
        calls.push('upstreamPeer');
        return new HttpPeer(origin.address);
      },
      logging: () => {
        calls.push('logging');
      },
    });
    const denied = await request(p.port, '/');
    expect(denied.status).toBe(403);
    expect(denied.body.toString()).toBe('forbidden\n');
    expect(calls).toEqual(['requestFilter', 'logging']);
    expect(origin.requests.length).toBe(0);
    const allowed = await request(p.port, '/', { headers: { authorization: 'secret' } });
    expect(allowed.status).toBe(200);
    expect(calls).toEqual(['requestFilter', 'logging', 'requestFilter', 'upstreamPeer', 'logging']);
  });

  it('answers 502 when proxyUpstreamFilter declines without writing', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy<null>({
      newCtx: () => null,
      proxyUpstreamFilter: () => false,
      upstreamPeer: () => new HttpPeer(origin.address),
    });
    expect((await request(p.port, '/')).status).toBe(502);
    expect(origin.requests.length).toBe(0);
  });

  it('turns a filter error into failToProxy with the status of the error', async () => {
    await using origin = await startOrigin();
    const seen: string[] = [];
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      responseFilter: () => {
        throw new Error('boom in a filter');
      },
      failToProxy: async (s, e) => {
        seen.push(e.type);
        await s.respondError(500);
        return { errorCode: 500, canReuseDownstream: false };
      },
      suppressErrorLog: () => true,
    });
    const res = await request(p.port, '/');
    expect(res.status).toBe(500);
    expect(seen).toEqual([ErrorType.UnknownError]);
    expect(p.errors).toEqual([]);
  });
});

describe('reading the body in requestFilter', () => {
  it('proxies a small body a filter already read, and refuses a large one with 500', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      requestFilter: async (s) => {
        let n = 0;
        for (
          let chunk = await s.readRequestBody();
          chunk !== null;
          chunk = await s.readRequestBody()
        ) {
          n += chunk.length;
        }
        s.reqHeader.insertHeader('X-Body-Seen', n);
        return false;
      },
      suppressErrorLog: () => true,
    });
    const small = await request(p.port, '/echo', { method: 'POST', body: 'x'.repeat(1000) });
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body.toString()).bytes).toBe(1000);
    const large = await request(p.port, '/echo', { method: 'POST', body: 'x'.repeat(200_000) });
    expect(large.status).toBe(500);
  });
});

describe('rewriting the request body', () => {
  it('sends a resized body chunked when upstreamRequestFilter drops Content-Length', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      upstreamRequestFilter: (_s, req) => {
        req.removeHeader('content-length');
      },
      requestBodyFilter: (_s, body) => (body === null ? null : Buffer.concat([body, body])),
    });
    const res = await request(p.port, '/echo', { method: 'POST', body: 'abc' });
    const echoed = JSON.parse(res.body.toString());
    expect(echoed.bytes).toBe(6);
    expect(echoed.rawHeaders).toContain('Transfer-Encoding');
  });
});
