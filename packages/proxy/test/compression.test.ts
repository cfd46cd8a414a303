import * as zlib from 'node:zlib';
import { HttpPeer, ResponseCompressionBuilder } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

const page = Buffer.from('<li>pingora-ts compresses this line</li>\n'.repeat(20_000));

async function htmlOrigin(encoding?: 'gzip') {
  return startOrigin((_req, res) => {
    const body = encoding === 'gzip' ? zlib.gzipSync(page) : page;
    const headers: Record<string, string> = {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      ETag: '"v1"',
    };
    if (encoding) headers['Content-Encoding'] = encoding;
    res.writeHead(200, headers);
    // Several writes, so the codec sees the body in pieces.
    for (let off = 0; off < body.length; off += 50_000) res.write(body.subarray(off, off + 50_000));
    res.end();
  });
}

function compressing(address: string, level: number): ProxyHttp<null> {
  return {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(address),
    initDownstreamModules: (modules) => modules.addModule(ResponseCompressionBuilder.enable(level)),
  };
}

describe('response compression module', () => {
  it.each([
    ['gzip', zlib.gunzipSync],
    ['br', zlib.brotliDecompressSync],
    ['zstd', zlib.zstdDecompressSync],
  ] as const)('compresses for Accept-Encoding: %s', async (coding, decode) => {
    await using origin = await htmlOrigin();
    await using p = await startProxy(compressing(origin.address, 5));
    const res = await request(p.port, '/', { headers: { 'Accept-Encoding': coding } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers.etag).toBe('W/"v1"');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.length).toBeLessThan(page.length / 20);
    expect(decode(res.body).equals(page)).toBe(true);
  });

  it('passes the body through for clients that accept no encoding, or when disabled (the default)', async () => {
    await using origin = await htmlOrigin();
    await using p = await startProxy(compressing(origin.address, 5));
    const plain = await request(p.port, '/');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-length']).toBe(String(page.length));
    expect(plain.body.equals(page)).toBe(true);

    await using def = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
    });
    const res = await request(def.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(page)).toBe(true);
  });

  it('can be enabled per request from a filter', async () => {
    await using origin = await htmlOrigin();
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      requestFilter: (s) => {
        if (s.reqHeader.path === '/compressed') s.downstreamCompression()?.adjustLevel(6);
        return false;
      },
    });
    const on = await request(p.port, '/compressed', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(on.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(on.body).equals(page)).toBe(true);
    const off = await request(p.port, '/other', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(off.headers['content-encoding']).toBeUndefined();
  });

  it('decompresses the upstream response for the body filters when asked', async () => {
    await using origin = await htmlOrigin('gzip');
    let seen = 0;
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      requestFilter: (s) => {
        s.upstreamCompression.adjustDecompression(true);
        return false;
      },
      responseBodyFilter: (_s, body) => {
        seen += body?.length ?? 0;
      },
    });
    const res = await request(p.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.equals(page)).toBe(true);
    expect(seen).toBe(page.length);
  });
});
