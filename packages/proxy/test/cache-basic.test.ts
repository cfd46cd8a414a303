import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ForcedHit, LruEvictionManager, MemoryStorage, type Storage } from '@pingora-ts/cache';
import { HttpPeer, ResponseCompressionBuilder } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { sessionState } from '../src/session.ts';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { rawExchange, request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

describe('proxy cache: hit, miss, purge, revalidation (Pingora test_upstream.rs)', () => {
  it('basic caching: miss, then hit with Age, one origin fetch', async () => {
    await using origin = await startScriptedOrigin();
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    const a = await request(p.port, '/basic');
    expect([a.status, a.headers['x-cache-status'], a.body.toString()]).toEqual([
      200,
      'MISS',
      'hello world',
    ]);
    clock.advance(500);
    const b = await request(p.port, '/basic');
    expect([b.status, b.headers['x-cache-status'], b.body.toString()]).toEqual([
      200,
      'HIT',
      'hello world',
    ]);
    expect(b.headers.age).toBe('0');
    expect(origin.count('/basic')).toBe(1);
    clock.advance(1000);
    const c = await request(p.port, '/basic');
    expect(c.headers['x-cache-status']).toBe('REVALIDATED');
    expect(c.body.toString()).toBe('hello world');
    expect(origin.requests.at(-1)?.headers['if-none-match']).toBe('"v1"');
    expect(p.errors).toEqual([]);
  });

  it('purge: 200 then 404, the next request misses; 405 where the cache is off', async () => {
    await using origin = await startScriptedOrigin();
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    await request(p.port, '/purge-me');
    expect((await request(p.port, '/purge-me')).headers['x-cache-status']).toBe('HIT');
    expect((await request(p.port, '/purge-me', { method: 'PURGE' })).status).toBe(200);
    expect((await request(p.port, '/purge-me', { method: 'PURGE' })).status).toBe(404);
    expect((await request(p.port, '/purge-me')).headers['x-cache-status']).toBe('MISS');
    expect((await request(p.port, '/nocache/x', { method: 'PURGE' })).status).toBe(405);
  });

  it('a failing storage: purge answers 500, lookups fall back to the origin', async () => {
    await using origin = await startScriptedOrigin();
    const broken: Storage = {
      supportsStreamingPartialWrite: false,
      lookup: () => Promise.reject(new Error('storage down')),
      getMissHandler: () => Promise.reject(new Error('storage down')),
      purge: () => Promise.reject(new Error('storage down')),
      updateMeta: () => false,
    };
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { storage: broken } }),
    );
    expect((await request(p.port, '/broken', { method: 'PURGE' })).status).toBe(500);
    const r = await request(p.port, '/broken');
    expect([r.status, r.body.toString(), r.headers['x-cache-status']]).toEqual([
      200,
      'hello world',
      'BYPASS',
    ]);
    expect(p.errors).toEqual([]);
  });

  it('uncacheable responses and methods are proxied untouched', async () => {
    await using origin = await startScriptedOrigin(cacheable('private'));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    for (let i = 0; i < 2; i++) {
      const r = await request(p.port, '/private');
      expect([r.headers['x-cache-status'], r.body.toString()]).toEqual(['BYPASS', 'hello world']);
    }
    expect(origin.count('/private')).toBe(2);
    const post = await request(p.port, '/basic', { method: 'POST', body: 'x' });
    expect(post.headers['x-cache-status']).toBe('BYPASS');
    expect(origin.requests.at(-1)?.method).toBe('POST');
  });

  it('force miss, force expired and force fresh from cacheHitFilter', async () => {
    await using origin = await startScriptedOrigin();
    const clock = new ManualClock();
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, {
        hitFilter: (req) => req.getHeader('x-force') as ForcedHit | undefined,
      }),
    );
    await request(p.port, '/force');
    const miss = await request(p.port, '/force', { headers: { 'x-force': ForcedHit.ForceMiss } });
    expect(miss.headers['x-cache-status']).toBe('MISS');
    const exp = await request(p.port, '/force', { headers: { 'x-force': ForcedHit.ForceExpired } });
    expect(exp.headers['x-cache-status']).toBe('REVALIDATED');
    clock.advance(5000);
    const fresh = await request(p.port, '/force', { headers: { 'x-force': ForcedHit.ForceFresh } });
    expect(fresh.headers['x-cache-status']).toBe('HIT');
    expect(origin.count('/force')).toBe(3);
  });

  it('an expired asset with a changed origin body is fetched again (EXPIRED)', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1', 'one'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    await request(p.port, '/exp');
    clock.advance(2000);
    origin.script = (_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=10', 'Content-Length': 3 });
      res.end('two');
    };
    const r = await request(p.port, '/exp');
    expect([r.headers['x-cache-status'], r.body.toString()]).toEqual(['EXPIRED', 'two']);
    const h = await request(p.port, '/exp');
    expect([h.headers['x-cache-status'], h.body.toString()]).toEqual(['HIT', 'two']);
  });

  it('revalidation merges the 304 head into the stored one', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    await request(p.port, '/merge');
    clock.advance(2000);
    origin.script = cacheable('max-age=100');
    const r = await request(p.port, '/merge');
    expect([r.headers['x-cache-status'], r.headers['cache-control']]).toEqual([
      'REVALIDATED',
      'max-age=100',
    ]);
    clock.advance(50_000);
    expect((await request(p.port, '/merge')).headers['x-cache-status']).toBe('HIT');
  });

  it('downstream 304 from cache by ETag and by Last-Modified', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    await request(p.port, '/cond');
    const e = await request(p.port, '/cond', { headers: { 'If-None-Match': '"v1"' } });
    expect([e.status, e.body.length, e.headers.etag]).toEqual([304, 0, '"v1"']);
    const m = await request(p.port, '/cond', {
      headers: { 'If-Modified-Since': 'Sun, 06 Nov 1994 08:49:37 GMT' },
    });
    expect(m.status).toBe(304);
    const miss = await request(p.port, '/cond', { headers: { 'If-None-Match': '"v0"' } });
    expect([miss.status, miss.body.toString()]).toEqual([200, 'hello world']);
    // a client's conditional on a miss never reaches the origin as is
    await request(p.port, '/cond2', { headers: { 'If-None-Match': '"v1"' } });
    expect(origin.requests.at(-1)?.headers['if-none-match']).toBeUndefined();
  });

  it('HEAD: a miss fetches GET upstream and stores it; HEAD and GET then hit', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    const h = await request(p.port, '/head', { method: 'HEAD' });
    expect([h.status, h.body.length, h.headers['content-length']]).toEqual([200, 0, '11']);
    expect(origin.requests.at(-1)?.method).toBe('GET');
    const g = await request(p.port, '/head');
    expect([g.headers['x-cache-status'], g.body.toString()]).toEqual(['HIT', 'hello world']);
    const h2 = await request(p.port, '/head', { method: 'HEAD' });
    expect([h2.headers['x-cache-status'], h2.body.length]).toEqual(['HIT', 0]);
    expect(origin.count('/head')).toBe(1);
  });

  it('eviction: a small storage keeps within its bound and evicted keys miss again', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100', 'x'.repeat(1000)));
    // one shard: strict LRU order (the default 16 shards evict from a random busy shard)
    const storage = new MemoryStorage({
      maxSizeBytes: 3000,
      eviction: new LruEvictionManager(3000, 1),
    });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { storage } }),
    );
    for (let i = 0; i < 5; i++) await request(p.port, `/evict/${i}`);
    expect(storage.bytes).toBeLessThanOrEqual(3000);
    expect(storage.size).toBe(2);
    expect(storage.eviction.evictedItems).toBe(3);
    expect((await request(p.port, '/evict/4')).headers['x-cache-status']).toBe('HIT');
    expect((await request(p.port, '/evict/0')).headers['x-cache-status']).toBe('MISS');
    expect(storage.bytes).toBeLessThanOrEqual(3000);
  });

  it('downstream compression applies to hits and misses; the cache stores the identity body', async () => {
    const body = 'compress me '.repeat(200);
    await using origin = await startScriptedOrigin(cacheable('max-age=100', body));
    const inner = cachingProxy(() => origin.address, new ManualClock());
    inner.initDownstreamModules = (modules) =>
      modules.addModule(ResponseCompressionBuilder.enable(6));
    await using p = await startProxy(inner);
    const gz = { 'Accept-Encoding': 'gzip' };
    const miss = await request(p.port, '/gz', { headers: gz });
    const hit = await request(p.port, '/gz', { headers: gz });
    const plain = await request(p.port, '/gz');
    expect([miss.headers['x-cache-status'], hit.headers['x-cache-status']]).toEqual([
      'MISS',
      'HIT',
    ]);
    for (const r of [miss, hit]) {
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(r.body).toString()).toBe(body);
    }
    expect([plain.headers['content-encoding'], plain.body.toString()]).toEqual([undefined, body]);
  });

  it('HTTP/1.0 clients get hits too, also of a body the origin sent chunked', async () => {
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100' });
      res.write('chunked ');
      res.end('body');
    });
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    expect((await request(p.port, '/h10')).body.toString()).toBe('chunked body');
    const raw = (
      await rawExchange(p.port, `GET /h10 HTTP/1.0\r\nHost: 127.0.0.1:${p.port}\r\n\r\n`, 300)
    ).toString();
    expect(raw.startsWith('HTTP/1.0 200') || raw.startsWith('HTTP/1.1 200')).toBe(true);
    expect(raw).toMatch(/X-Cache-Status: HIT/i);
    expect(raw).not.toMatch(/transfer-encoding/i);
    expect(raw.endsWith('\r\n\r\nchunked body')).toBe(true);
  });

  it('a WebSocket upgrade through a caching proxy tunnels and stores nothing (test_cache_websocket_101)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`echo ${d}`)));
    const address = `127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const storage = new MemoryStorage({ maxSizeBytes: 1 << 20 });
    try {
      await using p = await startProxy(
        cachingProxy(() => address, new ManualClock(), { settings: { storage } }),
      );
      for (let i = 0; i < 2; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`);
        await once(ws, 'open');
        ws.send(`hi ${i}`);
        const [msg] = await once(ws, 'message');
        expect(String(msg)).toBe(`echo hi ${i}`);
        ws.close();
        await once(ws, 'close');
      }
      expect(storage.size).toBe(0);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('1xx before a cacheable 200 is forwarded and the 200 is cached (test_1xx_caching)', async () => {
    await using origin = await startScriptedOrigin((req, res, n) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      cacheable('max-age=100')(req, res, n);
    });
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    const raw = (
      await rawExchange(p.port, `GET /1xx HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`, 300)
    ).toString();
    expect(raw.startsWith('HTTP/1.1 103')).toBe(true);
    expect(raw).toMatch(/HTTP\/1.1 200 OK[\s\S]*X-Cache-Status: MISS[\s\S]*hello world$/);
    const hit = await request(p.port, '/1xx', { headers: { Host: 'h' } });
    expect([hit.headers['x-cache-status'], hit.body.toString()]).toEqual(['HIT', 'hello world']);
  });

  it('a proxy without requestCacheFilter never makes cache state', async () => {
    await using origin = await startScriptedOrigin();
    const seen: unknown[] = [];
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      logging: (s) => {
        seen.push(s.cacheState, sessionState(s).cacheTap);
      },
    };
    await using p = await startProxy(inner);
    const r = await request(p.port, '/x');
    expect([r.status, r.headers['x-cache-status']]).toEqual([200, undefined]);
    expect(seen).toEqual([undefined, undefined]);
  });
});
