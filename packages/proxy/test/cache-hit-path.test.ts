import { Socket } from 'node:net';
import { CacheMeta, rfc9111Policy } from '@pingora-ts/cache';
import { HeaderList, ResponseHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachingProxy, ManualClock, startScriptedOrigin } from './utils/cache-proxy.ts';
import { rawExchange, request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

// Small writes go straight to a socket's fd (core's direct-write.ts): recorded here, passed through.
const fdWrites = vi.hoisted(() => ({ on: false, bytes: [] as Buffer[] }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const writeSync = ((fd: number, buf: Buffer, offset: number, length: number) => {
    if (fdWrites.on) fdWrites.bytes.push(Buffer.from(buf.subarray(offset, offset + length)));
    return fs.writeSync(fd, buf, offset, length);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

/** The names looked up on response heads (not request heads) while `fn` runs. */
async function responseLookups(fn: () => Promise<void>): Promise<string[]> {
  const names: string[] = [];
  for (const m of ['getHeader', 'getAll', 'hasHeader'] as const) {
    const real = HeaderList.prototype[m];
    vi.spyOn(HeaderList.prototype, m).mockImplementation(function (this: HeaderList, name: string) {
      if (this instanceof ResponseHeader) names.push(name.toLowerCase());
      return (real as (n: string) => never).call(this, name);
    });
  }
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
  }
  return names;
}

/** Fields the HTTP/1 writer reads on any response it frames (not the cache's doing). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'date']);

afterEach(() => vi.restoreAllMocks());

describe('proxy cache: the hit path', () => {
  it('a hit re-parses no stored field and re-encodes no stored head (only Age and the filters change it)', async () => {
    await using origin = await startScriptedOrigin((_req, res) => {
      res.writeHead(200, {
        'Cache-Control': 'max-age=60',
        Age: '7',
        Vary: 'Accept-Language',
        ETag: '"v1"',
        'Last-Modified': 'Sun, 06 Nov 1994 08:49:37 GMT',
        Expires: 'Sun, 06 Nov 2094 08:49:37 GMT',
        'Content-Type': 'text/plain',
        'Content-Length': '11',
      });
      res.end('hello world');
    });
    const clock = new ManualClock();
    await using p = await startProxy(cachingProxy(() => origin.address, clock, { vary: true }));
    const miss = await request(p.port, '/hot', { headers: { 'accept-language': 'en' } });
    expect(miss.headers['x-cache-status']).toBe('MISS');
    // the second hit of an asset encodes its stored head, once
    const encode = vi.spyOn(HeaderList.prototype, 'encodeFields');
    for (let i = 0; i < 2; i++) {
      const hit = await request(p.port, '/hot', { headers: { 'accept-language': 'en' } });
      expect(hit.headers['x-cache-status']).toBe('HIT');
      expect(encode).toHaveBeenCalledTimes(i);
    }
    vi.restoreAllMocks();

    clock.advance(3000);
    const encodeAgain = vi.spyOn(HeaderList.prototype, 'encodeFields');
    let raw = '';
    const names = await responseLookups(async () => {
      raw = (
        await rawExchange(
          p.port,
          `GET /hot HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n`,
          300,
        )
      ).toString('latin1');
    });
    expect(encodeAgain).not.toHaveBeenCalled();
    // nothing the cache keeps parsed (freshness, validators, Vary, Age) was read again
    expect(names.filter((n) => !FRAMING.has(n))).toEqual([]);
    const [head, body] = raw.split('\r\n\r\n');
    expect(body).toBe('hello world');
    const lines = head!.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 200 OK');
    // the origin's Age is replaced by ours (3 s in cache: the pingora policy does not count
    // the origin's), after the stored fields
    expect(lines.filter((l) => l.toLowerCase().startsWith('age:'))).toEqual(['Age: 3']);
    expect(lines.indexOf('Age: 3')).toBeGreaterThan(lines.indexOf('Content-Length: 11'));
    expect(lines).toContain('X-Cache-Status: HIT');
    expect(lines).toContain('Vary: Accept-Language');
    expect(lines).toContain('ETag: "v1"');
    expect(origin.count('/hot')).toBe(1);
    expect(p.errors).toEqual([]);
  });

  it('rfc9111: a stale hit allowed by max-stale reads the stored Cache-Control once per asset', async () => {
    await using origin = await startScriptedOrigin();
    const clock = new ManualClock();
    await using p = await startProxy(
      cachingProxy(() => origin.address, clock, { settings: { policy: rfc9111Policy() } }),
    );
    await request(p.port, '/stale');
    clock.advance(5000);
    const staleHit = () =>
      request(p.port, '/stale', { headers: { 'cache-control': 'max-stale=60' } }).then((r) => [
        r.headers['x-cache-status'],
        r.body.toString(),
      ]);
    expect(await staleHit()).toEqual(['HIT', 'hello world']);
    const names = await responseLookups(async () => {
      expect(await staleHit()).toEqual(['HIT', 'hello world']);
    });
    expect(names.filter((n) => !FRAMING.has(n))).toEqual([]);
    expect(origin.count('/stale')).toBe(1);
  });

  it('a small stored body goes out with its head in one socket write', async () => {
    await using origin = await startScriptedOrigin();
    await using p = await startProxy(cachingProxy(() => origin.address, new ManualClock()));
    await request(p.port, '/one');
    const writes: Buffer[] = [];
    const real = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args) {
      if (this.localPort === p.port) writes.push(Buffer.from(args[0] as Uint8Array));
      return (real as (...a: unknown[]) => boolean).apply(this, args);
    });
    fdWrites.bytes = [];
    fdWrites.on = true;
    const raw = (
      await rawExchange(
        p.port,
        `GET /one HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nConnection: close\r\n\r\n`,
        300,
      )
    ).toString('latin1');
    vi.restoreAllMocks();
    fdWrites.on = false;
    // The response's writes straight to the fd (this test's only HTTP traffic then).
    writes.push(...fdWrites.bytes.filter((b) => b.toString('latin1').startsWith('HTTP/1.1 ')));
    expect(raw).toContain('X-Cache-Status: HIT');
    expect(writes.length).toBe(1);
    expect(writes[0]!.toString('latin1')).toBe(raw);
  });

  it('a variant other than the stored one is still told apart without re-parsing Vary', async () => {
    await using origin = await startScriptedOrigin((req, res) => {
      const lang = String(req.headers['accept-language'] ?? '');
      res.writeHead(200, {
        'Cache-Control': 'max-age=60',
        Vary: 'Accept-Language',
        'Content-Length': String(lang.length),
      });
      res.end(lang);
    });
    await using p = await startProxy(
      cachingProxy(() => origin.address, new ManualClock(), { vary: true }),
    );
    const get = (lang: string) =>
      request(p.port, '/v', { headers: { 'accept-language': lang } }).then((r) => [
        r.headers['x-cache-status'],
        r.body.toString(),
      ]);
    expect(await get('en')).toEqual(['MISS', 'en']);
    expect(await get('fr')).toEqual(['MISS', 'fr']);
    const names = await responseLookups(async () => {
      expect(await get('en')).toEqual(['HIT', 'en']);
      expect(await get('fr')).toEqual(['HIT', 'fr']);
    });
    expect(names).not.toContain('vary');
    expect(origin.count('/v')).toBe(2);
  });
});

describe('CacheMeta: what a hit needs, worked out once', () => {
  const stored = () => {
    const h = ResponseHeader.build(200);
    h.appendHeader('Vary', 'Accept-Encoding,\tAccept-Language ');
    h.appendHeader('vary', 'accept-encoding, \u00a0X');
    h.appendHeader('Age', '5');
    h.appendHeader('Content-Length', '0');
    return new CacheMeta({ created: 0, freshUntil: 1, header: h });
  };

  it('Vary names: lower case, SP/HTAB trimmed only, duplicates once, parsed once per head', () => {
    const meta = stored();
    const first = meta.varyFieldNames();
    expect(first).toEqual(['accept-encoding', 'accept-language', '\u00a0x']);
    expect(meta.varyFieldNames()).toBe(first);
    // a new head (after a revalidation merge) is parsed again
    meta.header = ResponseHeader.build(200);
    expect(meta.varyFieldNames()).toEqual([]);
  });

  it('served heads: copies without Age, with Accept-Ranges, encoded once, free to change', () => {
    const meta = stored();
    const once = meta.servedHeader();
    expect(once.encodedFieldCount).toBe(0);
    expect(meta.servedAcceptsRanges(once)).toBe(false);
    const a = meta.servedHeader();
    expect(a.hasHeader('age')).toBe(false);
    expect(a.getHeader('accept-ranges')).toBe('bytes');
    expect(a.encodedFieldCount).toBe(4);
    expect(meta.servedAcceptsRanges(a)).toBe(true);
    a.insertHeader('Vary', 'changed');
    // the encoded fields changed: the caller's copy is no longer known to say Accept-Ranges
    expect(meta.servedAcceptsRanges(a)).toBe(false);
    const b = meta.servedHeader();
    expect(b.getAll('vary')).toEqual([
      'Accept-Encoding,\tAccept-Language',
      'accept-encoding, \u00a0X',
    ]);
    expect(b.encodedFieldCount).toBe(4);
    expect(meta.header.getHeader('age')).toBe('5');
    expect(meta.header.hasHeader('accept-ranges')).toBe(false);
    // without a length (a body still streaming in), no Accept-Ranges is promised
    const h = ResponseHeader.build(200);
    h.appendHeader('Content-Type', 'text/plain');
    const open = new CacheMeta({ created: 0, freshUntil: 1, header: h });
    expect(open.servedHeader().hasHeader('accept-ranges')).toBe(false);
    expect(open.servedAcceptsRanges(open.servedHeader())).toBe(false);
  });
});
