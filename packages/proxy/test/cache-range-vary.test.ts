import { CacheablePredictor, MemoryStorage, rfc9111Policy } from '@pingora-ts/cache';
import { describe, expect, it } from 'vitest';
import { cacheable, cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

const BODY = '0123456789abcdefghij';

describe('proxy cache: ranges (Pingora test_range_request, test_multipart_range_request)', () => {
  it('single range on a miss (upstream Range stripped) and on a hit; 416; If-Range', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100', BODY));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    const miss = await request(p.port, '/r', { headers: { Range: 'bytes=0-1' } });
    expect([miss.status, miss.body.toString(), miss.headers['content-range']]).toEqual([
      206,
      '01',
      'bytes 0-1/20',
    ]);
    expect(origin.requests.at(-1)?.headers.range).toBeUndefined();
    const hit = await request(p.port, '/r', { headers: { Range: 'bytes=5-9' } });
    expect([hit.status, hit.body.toString(), hit.headers['x-cache-status']]).toEqual([
      206,
      '56789',
      'HIT',
    ]);
    const suffix = await request(p.port, '/r', { headers: { Range: 'bytes=-3' } });
    expect(suffix.body.toString()).toBe('hij');
    const bad = await request(p.port, '/r', { headers: { Range: 'bytes=100-' } });
    expect([bad.status, bad.headers['content-range'], bad.body.length]).toEqual([
      416,
      'bytes */20',
      0,
    ]);
    const ifr = await request(p.port, '/r', {
      headers: { Range: 'bytes=0-1', 'If-Range': '"v1"' },
    });
    expect(ifr.status).toBe(206);
    const stale = await request(p.port, '/r', {
      headers: { Range: 'bytes=0-1', 'If-Range': '"v0"' },
    });
    expect([stale.status, stale.body.toString()]).toEqual([200, BODY]);
    const full = await request(p.port, '/r');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(origin.count('/r')).toBe(1);
  });

  it('multipart/byteranges on a hit and on a miss', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100', BODY));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    for (const path of ['/mr', '/mr']) {
      const r = await request(p.port, path, { headers: { Range: 'bytes=0-1,10-11' } });
      expect(r.status).toBe(206);
      const boundary = /boundary=(\w+)/.exec(String(r.headers['content-type']))?.[1];
      expect(boundary).toBeDefined();
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      const text = r.body.toString();
      expect(text).toContain('Content-Range: bytes 0-1/20\r\n\r\n01');
      expect(text).toContain('Content-Range: bytes 10-11/20\r\n\r\nab');
      expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    }
  });
});

describe('proxy cache: Vary (Pingora test_vary_*)', () => {
  it('variants by Accept-Encoding are stored apart; purge removes them all', async () => {
    await using origin = await startScriptedOrigin((req, res) => {
      const body = `body for ${req.headers['accept-encoding'] ?? 'none'}`;
      res.writeHead(200, {
        'Cache-Control': 'max-age=100',
        Vary: 'Accept-Encoding',
        'Content-Length': body.length,
      });
      res.end(body);
    });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { vary: true }),
    );
    const get = (ae: string) => request(p.port, '/vary', { headers: { 'Accept-Encoding': ae } });
    expect((await get('gzip')).headers['x-cache-status']).toBe('MISS');
    expect((await get('br')).headers['x-cache-status']).toBe('MISS');
    const g = await get('gzip');
    const b = await get('br');
    expect([g.headers['x-cache-status'], g.body.toString()]).toEqual(['HIT', 'body for gzip']);
    expect([b.headers['x-cache-status'], b.body.toString()]).toEqual(['HIT', 'body for br']);
    expect(origin.count('/vary')).toBe(2);
    expect((await request(p.port, '/vary', { method: 'PURGE' })).status).toBe(200);
    expect((await get('gzip')).headers['x-cache-status']).toBe('MISS');
    expect((await get('br')).headers['x-cache-status']).toBe('MISS');
  });

  it('some Vary fields ignored: only the others make variants (also with repeated fields)', async () => {
    await using origin = await startScriptedOrigin((req, res) => {
      const body = `lang ${req.headers['accept-language'] ?? '-'}`;
      res.writeHead(200, {
        'Cache-Control': 'max-age=100',
        Vary: 'Accept-Language, X-Ignored',
        'Content-Length': body.length,
      });
      res.end(body);
    });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), {
        vary: true,
        varyIgnore: ['x-ignored'],
      }),
    );
    const get = (lang: string, ignored: string) =>
      request(p.port, '/vary-some', { headers: { 'Accept-Language': lang, 'X-Ignored': ignored } });
    expect((await get('en', '1')).headers['x-cache-status']).toBe('MISS');
    const same = await get('en', '2');
    expect([same.headers['x-cache-status'], same.body.toString()]).toEqual(['HIT', 'lang en']);
    expect((await get('fr', '1')).headers['x-cache-status']).toBe('MISS');
    const fr = await get('fr', '3');
    expect([fr.headers['x-cache-status'], fr.body.toString()]).toEqual(['HIT', 'lang fr']);
    expect(origin.count('/vary-some')).toBe(2);
  });

  it('a Vary the filter ignores shares one asset', async () => {
    await using origin = await startScriptedOrigin(
      cacheable('max-age=100', 'same', { Vary: 'X-Ignored' }),
    );
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    await request(p.port, '/vary-ignored', { headers: { 'X-Ignored': '1' } });
    const r = await request(p.port, '/vary-ignored', { headers: { 'X-Ignored': '2' } });
    expect(r.headers['x-cache-status']).toBe('HIT');
  });
});

describe('proxy cache: max file size (Pingora test_cache_max_file_size*)', () => {
  it('Content-Length over the limit is not cached; the response is whole', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100', 'x'.repeat(100)));
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), {
        settings: { maxFileSizeBytes: 50, predictor: new CacheablePredictor(10) },
      }),
    );
    const a = await request(p.port, '/big');
    expect([a.body.length, a.headers['x-cache-status']]).toEqual([100, 'BYPASS']);
    const b = await request(p.port, '/big');
    expect([b.body.length, b.headers['x-cache-status']]).toEqual([100, 'BYPASS']);
    expect(origin.count('/big')).toBe(2);
  });

  it('a chunked body that outgrows the limit stops being cached without breaking the response', async () => {
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, { 'Cache-Control': 'max-age=100' });
      res.write('x'.repeat(40));
      setTimeout(() => res.end('y'.repeat(40)), 20);
    });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { settings: { maxFileSizeBytes: 50 } }),
    );
    const a = await request(p.port, '/chunked-big');
    expect(a.body.toString()).toBe('x'.repeat(40) + 'y'.repeat(40));
    const b = await request(p.port, '/chunked-big');
    expect(b.headers['x-cache-status']).not.toBe('HIT');
    expect(origin.count('/chunked-big')).toBe(2);
  });
});

describe('proxy cache: the rfc9111 policy preset (beyond Pingora)', () => {
  const rfc = () => ({
    settings: { policy: rfc9111Policy(), storage: new MemoryStorage({ maxSizeBytes: 1 << 20 }) },
  });

  it('POST invalidates the stored GET of the same URI', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock(), rfc()));
    await request(p.port, '/inv');
    expect((await request(p.port, '/inv')).headers['x-cache-status']).toBe('HIT');
    const post = await request(p.port, '/inv', { method: 'POST', body: 'x' });
    expect(post.status).toBe(200);
    expect((await request(p.port, '/inv')).headers['x-cache-status']).toBe('MISS');
  });

  it('only-if-cached answers 504 on a miss; request no-cache and max-age force revalidation', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100'));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock, rfc()));
    const oic = await request(p.port, '/oic', { headers: { 'Cache-Control': 'only-if-cached' } });
    expect(oic.status).toBe(504);
    expect(origin.count('/oic')).toBe(0);
    await request(p.port, '/oic');
    const hit = await request(p.port, '/oic', { headers: { 'Cache-Control': 'only-if-cached' } });
    expect(hit.headers['x-cache-status']).toBe('HIT');
    const nc = await request(p.port, '/oic', { headers: { 'Cache-Control': 'no-cache' } });
    expect(nc.headers['x-cache-status']).toBe('REVALIDATED');
    clock.advance(3000);
    const young = await request(p.port, '/oic', { headers: { 'Cache-Control': 'max-age=5' } });
    expect(young.headers['x-cache-status']).toBe('HIT');
    const old = await request(p.port, '/oic', { headers: { 'Cache-Control': 'max-age=2' } });
    expect(old.headers['x-cache-status']).toBe('REVALIDATED');
  });

  it('CDN-Cache-Control overrides Cache-Control; Authorization needs public/s-maxage', async () => {
    await using origin = await startScriptedOrigin((req, res) => {
      const path = req.url ?? '';
      const cc =
        path === '/cdn'
          ? 'no-store'
          : path === '/auth-public'
            ? 'public, max-age=100'
            : 'max-age=100';
      const headers: Record<string, string | number> = { 'Cache-Control': cc, 'Content-Length': 2 };
      if (path === '/cdn') headers['CDN-Cache-Control'] = 'max-age=100';
      res.writeHead(200, headers);
      res.end('ok');
    });
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock(), rfc()));
    await request(p.port, '/cdn');
    expect((await request(p.port, '/cdn')).headers['x-cache-status']).toBe('HIT');
    const auth = { Authorization: 'Bearer x' };
    await request(p.port, '/auth', { headers: auth });
    expect((await request(p.port, '/auth', { headers: auth })).headers['x-cache-status']).toBe(
      'BYPASS',
    );
    await request(p.port, '/auth-public', { headers: auth });
    expect(
      (await request(p.port, '/auth-public', { headers: auth })).headers['x-cache-status'],
    ).toBe('HIT');
  });

  it('Age from upstream counts against freshness and is reported', async () => {
    await using origin = await startScriptedOrigin(cacheable('max-age=100', 'aged', { Age: '99' }));
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock, rfc()));
    await request(p.port, '/aged');
    const hit = await request(p.port, '/aged');
    expect([hit.headers['x-cache-status'], hit.headers.age]).toEqual(['HIT', '99']);
    clock.advance(2000);
    expect((await request(p.port, '/aged')).headers['x-cache-status']).toBe('REVALIDATED');
  });
});
