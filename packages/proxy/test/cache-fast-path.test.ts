/**
 * The fresh-hit fast path and its boundaries: a fresh hit with synchronous
 * phases is served and ended without a promise (done before serveHttp
 * returns), yet every phase a user registered still runs; a cacheHitFilter
 * or an asynchronous filter takes the general path; a hit's head shares the
 * stored one, so a filter that changes a stored field changes that response
 * only; HEAD, ranges, conditionals, stale, revalidation and purge still
 * answer as before.
 */
import { Socket } from 'node:net';
import { CacheKey, ForcedHit } from '@pingora-ts/cache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpProxy } from '../src/http-proxy.ts';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { rawExchange, request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

/** Records, per request HttpProxy serves, whether it was done before serveHttp returned. */
function watchSync(): { sync: () => boolean[] } {
  const results: boolean[] = [];
  const real = HttpProxy.prototype.serveHttp;
  vi.spyOn(HttpProxy.prototype, 'serveHttp').mockImplementation(function (
    this: HttpProxy<unknown>,
    downstream,
    shutdown,
    done,
  ) {
    const i = results.push(false) - 1;
    let returned = false;
    real.call(this, downstream, shutdown, {
      appDone: () => {
        results[i] = !returned;
        done.appDone();
      },
      appFailed: (err) => done.appFailed(err),
    });
    returned = true;
  });
  return { sync: () => results };
}

afterEach(() => vi.restoreAllMocks());

describe('proxy cache: the fresh-hit fast path', () => {
  it('a fresh hit with synchronous phases is done before serveHttp returns; a miss and a revalidation are not', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    const watch = watchSync();
    expect((await request(p.port, '/sync')).headers['x-cache-status']).toBe('MISS');
    expect((await request(p.port, '/sync')).headers['x-cache-status']).toBe('HIT');
    expect((await request(p.port, '/sync', { method: 'HEAD' })).headers['x-cache-status']).toBe(
      'HIT',
    );
    clock.advance(2000);
    expect((await request(p.port, '/sync')).headers['x-cache-status']).toBe('REVALIDATED');
    expect(watch.sync()).toEqual([false, true, true, false]);
    expect(p.errors).toEqual([]);
  });

  it('every phase the user registered runs on a fast hit, body filter included', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    const calls: string[] = [];
    const inner = cachingProxy(() => origin.address, new ManualClock());
    const base = { ...inner };
    Object.assign(inner, {
      earlyRequestFilter: () => {
        calls.push('earlyRequestFilter');
      },
      requestFilter: () => {
        calls.push('requestFilter');
        return false;
      },
      requestCacheFilter: (s: Parameters<NonNullable<typeof base.requestCacheFilter>>[0]) => {
        calls.push('requestCacheFilter');
        return base.requestCacheFilter!(s, null);
      },
      cacheKeyCallback: (s: Parameters<NonNullable<typeof base.cacheKeyCallback>>[0]) => {
        calls.push('cacheKeyCallback');
        return base.cacheKeyCallback!(s, null);
      },
      cacheVaryFilter: () => {
        calls.push('cacheVaryFilter');
        return undefined;
      },
      responseFilter: (
        s: Parameters<NonNullable<typeof base.responseFilter>>[0],
        resp: Parameters<NonNullable<typeof base.responseFilter>>[1],
      ) => {
        calls.push('responseFilter');
        return base.responseFilter!(s, resp, null);
      },
      responseBodyFilter: (_s: unknown, body: Buffer | null) => {
        calls.push('responseBodyFilter');
        return body === null ? null : Buffer.from(body.toString().toUpperCase());
      },
      logging: () => {
        calls.push('logging');
      },
    });
    await using p = await startProxy(inner);
    await request(p.port, '/phases');
    calls.length = 0;
    const watch = watchSync();
    const hit = await request(p.port, '/phases');
    expect([hit.headers['x-cache-status'], hit.body.toString()]).toEqual(['HIT', 'HELLO WORLD']);
    expect(calls).toEqual([
      'earlyRequestFilter',
      'requestFilter',
      'requestCacheFilter',
      'cacheKeyCallback',
      'cacheVaryFilter',
      'responseFilter',
      'responseBodyFilter',
      'logging',
    ]);
    expect(watch.sync()).toEqual([true]);
  });

  it('a cacheHitFilter takes the lookup loop: it sees the fresh asset and can force a miss', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    let force: ForcedHit | undefined;
    const seen: boolean[] = [];
    const inner = cachingProxy(() => origin.address, new ManualClock());
    inner.cacheHitFilter = (_s, _meta, _hit, fresh) => {
      seen.push(fresh);
      return force;
    };
    await using p = await startProxy(inner);
    await request(p.port, '/hf');
    const watch = watchSync();
    expect((await request(p.port, '/hf')).headers['x-cache-status']).toBe('HIT');
    force = ForcedHit.ForceMiss;
    expect((await request(p.port, '/hf')).headers['x-cache-status']).toBe('MISS');
    expect(seen).toEqual([true, true]);
    expect(origin.count('/hf')).toBe(2);
    expect(watch.sync()).toEqual([false, false]);
  });

  it('an asynchronous responseFilter on a hit is awaited (the general path)', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    const inner = cachingProxy(() => origin.address, new ManualClock());
    const sync = inner.responseFilter!;
    inner.responseFilter = async (s, resp, ctx) => {
      await new Promise((r) => setTimeout(r, 5));
      await sync(s, resp, ctx);
      resp.insertHeader('X-Late', 'yes');
    };
    await using p = await startProxy(inner);
    await request(p.port, '/async');
    const watch = watchSync();
    const hit = await request(p.port, '/async');
    expect([hit.headers['x-cache-status'], hit.headers['x-late'], hit.body.toString()]).toEqual([
      'HIT',
      'yes',
      'hello world',
    ]);
    expect(watch.sync()).toEqual([false]);
  });

  it("a filter's change to a stored field reaches that response only: the stored head stays", async () => {
    await using origin = await startScriptedOrigin(
      cacheable('max-age=100', 'hello world', { 'X-Origin': 'o' }),
    );
    const inner = cachingProxy(() => origin.address, new ManualClock());
    const sync = inner.responseFilter!;
    inner.responseFilter = (s, resp, ctx) => {
      sync(s, resp, ctx);
      if (s.reqHeader.hasHeader('x-edit')) {
        resp.insertHeader('ETag', '"edited"');
        resp.removeHeader('x-origin');
        resp.appendHeader('X-Origin', 'filter');
      }
    };
    await using p = await startProxy(inner);
    await request(p.port, '/edit');
    const edited = await request(p.port, '/edit', { headers: { 'x-edit': '1' } });
    expect([edited.headers.etag, edited.headers['x-origin']]).toEqual(['"edited"', 'filter']);
    for (let i = 0; i < 2; i++) {
      const plain = await request(p.port, '/edit');
      expect([
        plain.headers['x-cache-status'],
        plain.headers.etag,
        plain.headers['x-origin'],
        plain.headers['content-length'],
        plain.body.toString(),
      ]).toEqual(['HIT', '"v1"', 'o', '11', 'hello world']);
    }
    // conditionals and ranges read the stored fields through the shared head
    const nm = await request(p.port, '/edit', { headers: { 'If-None-Match': '"v1"' } });
    expect([nm.status, nm.headers.etag, nm.body.length]).toEqual([304, '"v1"', 0]);
    const r = await request(p.port, '/edit', { headers: { Range: 'bytes=0-4' } });
    expect([r.status, r.headers['content-range'], r.body.toString()]).toEqual([
      206,
      'bytes 0-4/11',
      'hello',
    ]);
    const h = await request(p.port, '/edit', { method: 'HEAD' });
    expect([
      h.status,
      h.headers['content-length'],
      h.headers['accept-ranges'],
      h.body.length,
    ]).toEqual([200, '11', 'bytes', 0]);
    expect((await request(p.port, '/edit', { method: 'PURGE' })).status).toBe(200);
    expect((await request(p.port, '/edit')).headers['x-cache-status']).toBe('MISS');
    expect(origin.count('/edit')).toBe(2);
    expect(p.errors).toEqual([]);
  });

  it('stale-while-revalidate still serves stale from the shared head while refreshing', async () => {
    await using origin = await startScriptedOrigin(
      cacheable('max-age=1, stale-while-revalidate=60'),
    );
    const clock = new ManualClock();
    const inner = cachingProxy(() => origin.address, clock, { serveStale: () => true });
    await using p = await startProxy(inner);
    await request(p.port, '/swr');
    clock.advance(2000);
    const stale = await request(p.port, '/swr');
    expect([stale.headers['x-cache-status'], stale.body.toString()]).toEqual([
      'STALE',
      'hello world',
    ]);
    await vi.waitFor(() => expect(origin.count('/swr')).toBe(2), { timeout: 2000 });
  });

  it('a 64 KiB stored body goes out in one writev after its head: the stored Buffer, not a copy', async () => {
    const big = Buffer.alloc(64 * 1024, 0x61);
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100', 'Content-Length': big.length });
      res.end(big);
    });
    const inner = cachingProxy(() => origin.address, new ManualClock());
    await using p = await startProxy(inner);
    await request(p.port, '/64k');
    const host = `127.0.0.1:${p.port}`;
    const found = inner.settings.storage.lookup(CacheKey.default(host, '/64k'));
    const stored = found instanceof Promise ? await found : found;
    const storedBody = stored?.hit.readBody();
    stored?.hit.finish();
    expect(Buffer.isBuffer(storedBody) && storedBody.length).toBe(big.length);
    const writes: number[] = [];
    const writevs: Buffer[][] = [];
    const realWrite = Socket.prototype.write;
    const realWritev = (Socket.prototype as unknown as { _writev: (...a: unknown[]) => void })
      ._writev;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args) {
      if (this.localPort === p.port) writes.push((args[0] as Buffer).length);
      return (realWrite as (...a: unknown[]) => boolean).apply(this, args);
    });
    vi.spyOn(Socket.prototype as unknown as { _writev: () => void }, '_writev').mockImplementation(
      function (this: Socket, ...args: unknown[]) {
        if (this.localPort === p.port) {
          // Node hands Buffers as they are when every chunk is one, else { chunk, encoding }
          const chunks = args[0] as (Buffer | { chunk: Buffer })[];
          writevs.push(chunks.map((c) => (Buffer.isBuffer(c) ? c : c.chunk)));
        }
        return realWritev.apply(this, args);
      },
    );
    const raw = await rawExchange(
      p.port,
      `GET /64k HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      1000,
    );
    vi.restoreAllMocks();
    expect(raw.subarray(raw.length - big.length).equals(big)).toBe(true);
    expect(raw.toString('latin1')).toContain('X-Cache-Status: HIT');
    // two writes corked into one writev: the head, then the stored body itself
    expect(writes.length).toBe(2);
    expect(writevs.length).toBe(1);
    expect(writevs[0]!.length).toBe(2);
    const body = writevs[0]![1]!;
    expect(body.buffer).toBe((storedBody as Buffer).buffer);
    expect(body.byteOffset).toBe((storedBody as Buffer).byteOffset);
  });
});
