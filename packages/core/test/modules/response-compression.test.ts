import * as zlib from 'node:zlib';
import { PingoraError } from '@pingora-ts/error';
import { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import { describe, expect, it } from 'vitest';
import {
  ResponseCompression,
  ResponseCompressionBuilder,
} from '../../src/modules/http/compression/response-compression.ts';
import { HttpModuleCtx, HttpModules } from '../../src/modules/http/http-module.ts';

const body = Buffer.from('<p>hello compression</p>\n'.repeat(2000));

function request(acceptEncoding?: string): RequestHeader {
  const req = RequestHeader.build('GET', '/');
  if (acceptEncoding !== undefined) req.appendHeader('Accept-Encoding', acceptEncoding);
  return req;
}

function response(type = 'text/html; charset=utf-8', length = body.length): ResponseHeader {
  const resp = ResponseHeader.build(200);
  resp.appendHeader('Content-Type', type);
  resp.appendHeader('Content-Length', length);
  resp.appendHeader('ETag', '"abc"');
  resp.appendHeader('Accept-Ranges', 'bytes');
  return resp;
}

async function run(m: ResponseCompression, data: Buffer, pieces = 5): Promise<Buffer> {
  const out: Buffer[] = [];
  const size = Math.ceil(data.length / pieces);
  for (let off = 0; off < data.length; off += size) {
    const r = await m.responseBodyFilter(data.subarray(off, off + size), false);
    out.push(r ?? data.subarray(off, off + size));
  }
  const last = await m.responseBodyFilter(null, true);
  if (last !== undefined) out.push(last);
  return Buffer.concat(out);
}

describe('ResponseCompression', () => {
  it('gzips a text response and fixes the header', async () => {
    const m = new ResponseCompression({ level: 6 });
    m.requestHeaderFilter(request('gzip, deflate'));
    const resp = response();
    m.responseHeaderFilter(resp, false);
    expect(resp.getHeader('content-encoding')).toBe('gzip');
    expect(resp.hasHeader('content-length')).toBe(false);
    expect(resp.hasHeader('accept-ranges')).toBe(false);
    expect(resp.getHeader('etag')).toBe('W/"abc"');
    expect(resp.getHeader('vary')).toBe('Accept-Encoding');
    const out = await run(m, body);
    expect(zlib.gunzipSync(out).equals(body)).toBe(true);
    expect(m.stats()?.bytesIn).toBe(body.length);
  });

  it('chooses br over gzip by q-value and honours per-algorithm levels', async () => {
    const m = new ResponseCompression({ levels: { br: 5 } });
    m.requestHeaderFilter(request('gzip;q=0.5, br'));
    const resp = response();
    m.responseHeaderFilter(resp, false);
    expect(resp.getHeader('content-encoding')).toBe('br');
    expect(zlib.brotliDecompressSync(await run(m, body)).equals(body)).toBe(true);

    const noBr = new ResponseCompression({ levels: { br: 0 } });
    noBr.requestHeaderFilter(request('gzip;q=0.5, br'));
    const resp2 = response();
    noBr.responseHeaderFilter(resp2, false);
    expect(resp2.getHeader('content-encoding')).toBe('gzip');
    noBr.responseDone();
  });

  it('keeps the ETag strong with preserveEtag', () => {
    const m = new ResponseCompression({ preserveEtag: true });
    m.requestHeaderFilter(request('gzip'));
    const resp = response();
    m.responseHeaderFilter(resp, false);
    expect(resp.getHeader('etag')).toBe('"abc"');
    m.responseDone();
  });

  it('skips small, incompressible, already encoded, no-transform and bodiless responses', () => {
    const cases: Array<[ResponseHeader, boolean]> = [];
    cases.push([response('text/plain', 100), false]);
    cases.push([response('image/png'), false]);
    const encoded = response();
    encoded.insertHeader('Content-Encoding', 'br');
    cases.push([encoded, false]);
    const noTransform = response();
    noTransform.appendHeader('Cache-Control', 'public, no-transform');
    cases.push([noTransform, false]);
    const notModified = response();
    notModified.status = 304;
    cases.push([notModified, false]);
    cases.push([response(), true]);
    for (const [resp, eos] of cases) {
      const m = new ResponseCompression();
      m.requestHeaderFilter(request('gzip, br'));
      const before = [...resp];
      m.responseHeaderFilter(resp, eos);
      expect(m.isEnabled()).toBe(false);
      expect([...resp].filter(([n]) => n !== 'Vary')).toEqual(before);
      expect(m.responseBodyFilter(Buffer.from('x'), false)).toBeUndefined();
    }
  });

  it('leaves the response alone for a client that accepts nothing', () => {
    const m = new ResponseCompression();
    m.requestHeaderFilter(request());
    const resp = response();
    m.responseHeaderFilter(resp, false);
    expect(resp.hasHeader('content-encoding')).toBe(false);
    expect(resp.getHeader('content-length')).toBe(String(body.length));
    expect(resp.getHeader('vary')).toBe('Accept-Encoding');
  });

  it('decompresses an encoding the client does not accept, when enabled', async () => {
    const m = new ResponseCompression({ level: 0, decompress: true });
    m.requestHeaderFilter(request('identity'));
    const resp = response();
    resp.insertHeader('Content-Encoding', 'gzip');
    m.responseHeaderFilter(resp, false);
    expect(resp.hasHeader('content-encoding')).toBe(false);
    expect((await run(m, zlib.gzipSync(body))).equals(body)).toBe(true);
  });

  it('upstream() decompresses whatever arrives once enabled', async () => {
    const m = ResponseCompression.upstream();
    expect(m.isEnabled()).toBe(false);
    m.adjustDecompression(true);
    const resp = response();
    resp.insertHeader('Content-Encoding', 'br');
    m.responseHeaderFilter(resp, false);
    expect((await run(m, zlib.brotliCompressSync(body))).equals(body)).toBe(true);
    expect(() => m.adjustLevel(1)).toThrow(PingoraError);
  });

  it('rejects invalid levels as ConfigError at build time', () => {
    expect(() => new ResponseCompressionBuilder({ level: -1 })).toThrow(/non-negative/);
  });
});

describe('HttpModules', () => {
  it('builds one instance per request, ordered, and finds them by class', async () => {
    const seen: string[] = [];
    const modules = new HttpModules();
    modules.addModule(ResponseCompressionBuilder.enable(0));
    modules.addModule({
      order: 10,
      init: () => ({
        responseBodyFilter: (b: Buffer | null) => {
          seen.push('first');
          return b === null ? null : Buffer.concat([b, Buffer.from('!')]);
        },
      }),
    });
    const ctx = modules.buildCtx();
    // The disabled compression module is idle: built only once asked for, in its place.
    expect(ctx.modules.length).toBe(1);
    expect(ctx.get(ResponseCompression)).toBeInstanceOf(ResponseCompression);
    expect(ctx.modules.length).toBe(2);
    expect(ctx.modules[1]).toBeInstanceOf(ResponseCompression);
    const out = await ctx.responseBodyFilter(Buffer.from('a'), false);
    expect(out?.toString()).toBe('a!');
    expect(seen).toEqual(['first']);
    expect(() => modules.addModule(ResponseCompressionBuilder.enable(1))).toThrow(PingoraError);
    expect(new HttpModuleCtx().responseBodyFilter(null, true)).toBeNull();
  });

  it('builds an idle module only when asked for, replaying the headers it missed', async () => {
    const modules = new HttpModules();
    modules.addModule(ResponseCompressionBuilder.enable(0));
    expect(modules.buildCtx().modules).toHaveLength(0);
    expect(modules.buildCtx()).not.toBe(modules.buildCtx());

    // Asked for after the request header: it compresses for that request's Accept-Encoding.
    const ctx = modules.buildCtx();
    const req = RequestHeader.build('GET', '/');
    req.insertHeader('Accept-Encoding', 'gzip');
    ctx.requestHeaderFilter(req);
    ctx.get(ResponseCompression)!.adjustLevel(6);
    const resp = ResponseHeader.build(200);
    resp.insertHeader('Content-Type', 'text/plain');
    await ctx.responseHeaderFilter(resp, false);
    expect(resp.getHeader('content-encoding')).toBe('gzip');
    const out = await ctx.responseBodyFilter(Buffer.from('x'.repeat(1000)), true);
    expect(zlib.gunzipSync(out!).toString()).toBe('x'.repeat(1000));
    ctx.responseDone();

    // Asked for after the response header: too late to adjust, as for a built one.
    const late = modules.buildCtx();
    late.requestHeaderFilter(req);
    const resp2 = ResponseHeader.build(200);
    resp2.insertHeader('Content-Type', 'text/plain');
    await late.responseHeaderFilter(resp2, false);
    expect(() => late.get(ResponseCompression)!.adjustLevel(6)).toThrow(PingoraError);
    expect(resp2.getHeader('content-encoding')).toBeUndefined();

    // An enabled builder is not idle: built with every request.
    const enabled = new HttpModules();
    enabled.addModule(ResponseCompressionBuilder.enable(1));
    expect(enabled.buildCtx().modules).toHaveLength(1);
  });
});
