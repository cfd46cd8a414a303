import { once } from 'node:events';
import { connect } from 'node:net';
import { CacheLock } from '@pingora-ts/cache';
import { describe, expect, it } from 'vitest';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

describe('proxy cache: stale-if-error, stale-while-revalidate, streaming (Pingora test_cache_serve_stale_*)', () => {
  it('serves stale on a network error (origin gone)', async () => {
    const origin = await startScriptedOrigin(cacheable('max-age=1, stale-if-error=60'));
    const address = origin.address;
    const clock = new ManualClock();
    await using p = await startProxy(
      cachingProxy(() => address, clock),
      { maxRetries: 0 },
    );
    await request(p.port, '/sie-net');
    clock.advance(2000);
    await origin[Symbol.asyncDispose]();
    const r = await request(p.port, '/sie-net');
    expect([r.status, r.headers['x-cache-status'], r.body.toString()]).toEqual([
      200,
      'STALE',
      'hello world',
    ]);
    // beyond the stale-if-error window the error goes through
    clock.advance(120_000);
    expect((await request(p.port, '/sie-net')).status).toBe(502);
  });

  it('serves stale on a 500 from the origin', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1, stale-if-error=60'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    await request(p.port, '/sie-500');
    clock.advance(2000);
    origin.script = (_req, res) => {
      res.writeHead(500, { 'Content-Length': 4 });
      res.end('oops');
    };
    const r = await request(p.port, '/sie-500');
    expect([r.status, r.headers['x-cache-status'], r.body.toString()]).toEqual([
      200,
      'STALE',
      'hello world',
    ]);
  });

  it('shouldServeStale can refuse stale-if-error', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1, stale-if-error=60'));
    const clock = new ManualClock();
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, { serveStale: () => false }),
    );
    await request(p.port, '/sie-refused');
    clock.advance(2000);
    origin.script = (_req, res) => {
      res.writeHead(500, { 'Content-Length': 4 });
      res.end('oops');
    };
    expect((await request(p.port, '/sie-refused')).status).toBe(500);
  });

  it('a failure mid-response is not masked: EXPIRED head, then the connection dies', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=1, stale-if-error=60'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    await request(p.port, '/sie-mid');
    clock.advance(2000);
    origin.script = (_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=10', 'Content-Length': 100 });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    await expect(request(p.port, '/sie-mid')).rejects.toThrow();
    // nothing half-written was stored: the old asset is still what the cache has
    origin.script = cacheable('max-age=100');
    const r = await request(p.port, '/sie-mid');
    expect(r.body.toString()).toBe('hello world');
  });

  it('stale-while-revalidate: many readers get stale at once, one background refresh', async () => {
    // the background refresh is held by the origin until the readers are done (no race on load)
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await using origin = await startScriptedOrigin((_req, res, n) => {
      const send = () => {
        const body = `v${n}`;
        res.writeHead(200, {
          'Cache-Control': 'max-age=1, stale-while-revalidate=60',
          'Content-Length': body.length,
        });
        res.end(body);
      };
      if (n === 1) send();
      else held.then(send);
    });
    const clock = new ManualClock();
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, { settings: { lock }, serveStale: () => true }),
    );
    await request(p.port, '/swr');
    clock.advance(2000);
    const rs = await Promise.all(Array.from({ length: 10 }, () => request(p.port, '/swr')));
    expect(rs.map((r) => `${r.headers['x-cache-status']} ${r.body}`)).toEqual(
      Array(10).fill('STALE v1'),
    );
    for (let i = 0; i < 100 && origin.count('/swr') < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(origin.count('/swr')).toBe(2);
    release();
    // the refreshed asset replaces the stale one once the background fetch is done
    let after = await request(p.port, '/swr');
    for (let i = 0; i < 100 && after.headers['x-cache-status'] !== 'HIT'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await request(p.port, '/swr');
    }
    expect([after.headers['x-cache-status'], after.body.toString()]).toEqual(['HIT', 'v2']);
    expect(origin.count('/swr')).toBe(2);
  });

  it('stale-while-revalidate is off unless shouldServeStale says so (Pingora default)', async () => {
    await using origin = await startScriptedOrigin(
      cacheable('max-age=1, stale-while-revalidate=60'),
    );
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock));
    await request(p.port, '/swr-off');
    clock.advance(2000);
    expect((await request(p.port, '/swr-off')).headers['x-cache-status']).toBe('REVALIDATED');
  });

  it('caching when the downstream bails: the asset still completes for the readers and later hits', async () => {
    let release: () => void = () => {};
    const body = 'a'.repeat(200_000);
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100', 'Content-Length': body.length * 2 });
      res.write(body);
      release = () => res.end(body);
    });
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const socket = connect(p.port, '127.0.0.1');
    socket.write('GET /bails HTTP/1.1\r\nHost: h\r\n\r\n');
    await once(socket, 'data');
    const reader = request(p.port, '/bails', { headers: { Host: 'h' } });
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    release();
    const r = await reader;
    expect(r.body.length).toBe(body.length * 2);
    expect(r.headers['x-cache-status']).toBe('HIT');
    const later = await request(p.port, '/bails', { headers: { Host: 'h' } });
    expect([later.headers['x-cache-status'], later.body.length]).toEqual(['HIT', body.length * 2]);
    expect(origin.count('/bails')).toBe(1);
  });

  it('streaming with several writers (no lock): each reader gets a whole body, the last write wins', async () => {
    const releases: (() => void)[] = [];
    await using origin = await startScriptedOrigin((_req, res, n) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100', 'Content-Length': 10 });
      res.write(`w${n}-aa`);
      releases.push(() => res.end(`w${n}-bb`));
    });
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    const first = request(p.port, '/writers');
    const second = request(p.port, '/writers');
    for (let i = 0; i < 200 && releases.length < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    const reader = request(p.port, '/writers');
    await new Promise((r) => setTimeout(r, 50));
    for (const release of releases) release();
    const bodies = (await Promise.all([first, second, reader])).map((r) => r.body.toString());
    for (const b of bodies) expect(b).toMatch(/^w(\d)-aaw\1-bb$/);
    const later = await request(p.port, '/writers');
    expect(later.headers['x-cache-status']).toBe('HIT');
    expect(later.body.toString()).toMatch(/^w(\d)-aaw\1-bb$/);
    expect(origin.count('/writers')).toBe(2);
  });

  it('streaming partial body: a reader arriving mid-write reads the body as it arrives', async () => {
    let release: () => void = () => {};
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100', 'Content-Length': 10 });
      res.write('hello');
      release = () => res.end('world');
    });
    const lock = new CacheLock({ ageTimeoutMs: 5000 });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { lock } }),
    );
    const first = request(p.port, '/partial');
    for (let i = 0; i < 100 && origin.count('/partial') === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const second = request(p.port, '/partial');
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect([a.body.toString(), b.body.toString()]).toEqual(['helloworld', 'helloworld']);
    expect(b.headers['x-cache-status']).toBe('HIT');
    expect(origin.count('/partial')).toBe(1);
  });
});
