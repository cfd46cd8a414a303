import { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRange, RangeBody, rangeRequestFor } from '../src/index.ts';

const full = (len: number) =>
  ResponseHeader.build(200)
    .appendHeader('Content-Length', len)
    .appendHeader('Content-Type', 'text/plain')
    .appendHeader('ETag', '"e"')
    .appendHeader('Last-Modified', 'Sun, 06 Nov 1994 08:49:37 GMT');
const req = (h: [string, string][]) => {
  const r = RequestHeader.build('GET', '/');
  for (const [n, v] of h) r.appendHeader(n, v);
  return r;
};

function apply(body: Buffer, range: string, chunk: number): { head: ResponseHeader; out: Buffer } {
  const head = full(body.length);
  const rb = new RangeBody(parseRange(range, body.length), head, body.length);
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) {
    const o = rb.filter(body.subarray(i, i + chunk));
    if (o !== null) parts.push(o);
  }
  return { head, out: Buffer.concat(parts) };
}

describe('parseRange', () => {
  it('takes only SP and HTAB as optional whitespace (regression: trim() stripped NBSP)', () => {
    expect(parseRange(' \tbytes=0-1\t ', 10).kind).toBe('single');
    expect(parseRange('\u00a0bytes=0-1', 10).kind).toBe('none');
    expect(parseRange('bytes=0-1\u00a0', 10).kind).toBe('none');
  });

  it('single, open-ended, suffix, clipped', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ kind: 'single', range: { start: 0, end: 1 } });
    expect(parseRange('bytes=5-', 10)).toEqual({ kind: 'single', range: { start: 5, end: 10 } });
    expect(parseRange('bytes=-3', 10)).toEqual({ kind: 'single', range: { start: 7, end: 10 } });
    expect(parseRange('bytes=-30', 10)).toEqual({ kind: 'single', range: { start: 0, end: 10 } });
    expect(parseRange('bytes=8-100', 10)).toEqual({ kind: 'single', range: { start: 8, end: 10 } });
  });
  it('unsatisfiable is invalid (416); bad syntax is ignored', () => {
    expect(parseRange('bytes=10-', 10).kind).toBe('invalid');
    expect(parseRange('bytes=-0', 10).kind).toBe('invalid');
    expect(parseRange('bytes=5-1', 10).kind).toBe('none');
    expect(parseRange('items=0-1', 10).kind).toBe('none');
    expect(parseRange('bytes=a-b', 10).kind).toBe('none');
    expect(parseRange('bytes=', 10).kind).toBe('none');
  });
  it('multi ranges are sorted and coalesced; too many are ignored', () => {
    expect(parseRange('bytes=6-7, 0-1, 1-2', 10)).toEqual({
      kind: 'multi',
      ranges: [
        { start: 0, end: 3 },
        { start: 6, end: 8 },
      ],
    });
    expect(parseRange('bytes=0-1,2-3', 10)).toEqual({
      kind: 'single',
      range: { start: 0, end: 4 },
    });
    const many = Array.from({ length: 201 }, (_, i) => `${i * 2}-${i * 2}`).join(',');
    expect(parseRange(`bytes=${many}`, 1000).kind).toBe('none');
  });
  it('If-Range: strong ETag or exact date, else the full body', () => {
    const r = full(10);
    expect(
      rangeRequestFor(
        req([
          ['Range', 'bytes=0-1'],
          ['If-Range', '"e"'],
        ]),
        r,
      ).kind,
    ).toBe('single');
    expect(
      rangeRequestFor(
        req([
          ['Range', 'bytes=0-1'],
          ['If-Range', '"x"'],
        ]),
        r,
      ).kind,
    ).toBe('none');
    expect(
      rangeRequestFor(
        req([
          ['Range', 'bytes=0-1'],
          ['If-Range', 'W/"e"'],
        ]),
        r,
      ).kind,
    ).toBe('none');
    expect(
      rangeRequestFor(
        req([
          ['Range', 'bytes=0-1'],
          ['If-Range', 'Sun, 06 Nov 1994 08:49:37 GMT'],
        ]),
        r,
      ).kind,
    ).toBe('single');
    expect(rangeRequestFor(req([['Range', 'bytes=0-1']]), ResponseHeader.build(404)).kind).toBe(
      'none',
    );
  });
});

describe('RangeBody', () => {
  it('single range head and body', () => {
    const { head, out } = apply(Buffer.from('0123456789'), 'bytes=2-5', 3);
    expect(head.status).toBe(206);
    expect(head.getHeader('content-range')).toBe('bytes 2-5/10');
    expect(out.toString()).toBe('2345');
    expect(head.getHeader('content-length')).toBe('4');
  });
  it('416 head', () => {
    const { head, out } = apply(Buffer.from('0123456789'), 'bytes=20-', 4);
    expect(head.status).toBe(416);
    expect(head.getHeader('content-range')).toBe('bytes */10');
    expect(out.length).toBe(0);
  });
  it('multipart body matches its Content-Length', () => {
    const { head, out } = apply(Buffer.from('0123456789'), 'bytes=0-1,5-6', 4);
    const boundary = /boundary=(\w+)/.exec(head.getHeader('content-type')!)![1];
    expect(Number(head.getHeader('content-length'))).toBe(out.length);
    expect(out.toString()).toBe(
      `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01` +
        `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n56` +
        `\r\n--${boundary}--\r\n`,
    );
  });

  it('property: any chunking yields the bytes the ranges name, sized as announced', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(250), fc.option(fc.nat(250), { nil: undefined })), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 1, max: 64 }),
        (bytes, specs, chunk) => {
          const body = Buffer.from(bytes);
          const value = `bytes=${specs.map(([a, b]) => `${a}-${b === undefined ? '' : a + b}`).join(',')}`;
          const parsed = parseRange(value, body.length);
          const { head, out } = apply(body, value, chunk);
          if (parsed.kind === 'single') {
            expect(out.equals(body.subarray(parsed.range.start, parsed.range.end))).toBe(true);
          }
          if (parsed.kind === 'single' || parsed.kind === 'multi') {
            expect(Number(head.getHeader('content-length'))).toBe(out.length);
          }
          if (parsed.kind === 'multi') {
            let prev = -1;
            for (const r of parsed.ranges) {
              expect(r.start).toBeGreaterThan(prev);
              expect(out.includes(body.subarray(r.start, r.end))).toBe(true);
              prev = r.end;
            }
          }
          if (parsed.kind === 'invalid') expect(specs.every(([a]) => a >= body.length)).toBe(true);
        },
      ),
    );
  });
});
