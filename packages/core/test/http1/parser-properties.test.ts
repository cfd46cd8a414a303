/**
 * fast-check properties of the HTTP/1 codec: a message split at any byte
 * boundaries parses exactly as when it arrives whole (heads, bodies by length
 * or chunks, trailers), and a head serialised by the head writer parses back
 * to the same method, target, status, fields, case and order.
 */
import { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeadMode } from '../../src/protocols/http/v1/head-parser.ts';
import {
  requestHeadLength,
  responseHeadLength,
  writeRequestHead,
  writeResponseHead,
} from '../../src/protocols/http/v1/head-writer.ts';
import { parseChunks, splitAt } from './utils/incremental.ts';

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/);
const value = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]{0,40}[\x21-\x7e\x80-\xff])?$/),
);
const target = fc.stringMatching(/^\/[\x21-\x7e]{0,60}$/);
const fieldName = token.filter(
  (n) => !['content-length', 'transfer-encoding', 'host'].includes(n.toLowerCase()),
);
const fields = fc.array(fc.tuple(fieldName, value), { maxLength: 12 });
const body = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a).toString('latin1'));
const cuts = fc.array(fc.nat(), { maxLength: 20 });

function chunkedBody(text: string, sizes: number[], trailers: [string, string][]): string {
  let out = '';
  let at = 0;
  for (const s of sizes) {
    if (at >= text.length) break;
    const piece = text.slice(at, at + Math.max(1, s));
    at += piece.length;
    out += `${piece.length.toString(16)}\r\n${piece}\r\n`;
  }
  if (at < text.length) out += `${(text.length - at).toString(16)}\r\n${text.slice(at)}\r\n`;
  return `${out}0\r\n${trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

describe('HTTP/1 codec properties', () => {
  it('parses a request split at any boundaries as when whole', () => {
    fc.assert(
      fc.property(
        token,
        target,
        fields,
        body,
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 10 }),
        fc.array(fc.tuple(fieldName, value), { maxLength: 3 }),
        cuts,
        (method, t, fs, b, chunked, sizes, trailers, cutPoints) => {
          let head = `${method} ${t} HTTP/1.1\r\nHost: h\r\n`;
          for (const [n, v] of fs) head += `${n}:${v === '' ? '' : ' '}${v}\r\n`;
          const raw = chunked
            ? `${head}Transfer-Encoding: chunked\r\n\r\n${chunkedBody(b, sizes, trailers)}`
            : `${head}Content-Length: ${b.length}\r\n\r\n${b}`;
          const bytes = Buffer.from(raw, 'latin1');
          const whole = parseChunks([bytes]);
          const split = parseChunks(splitAt(bytes, cutPoints));
          expect(whole.error).toBe('');
          expect(split).toEqual(whole);
          expect(whole.body).toBe(b);
          expect([whole.method, whole.target]).toEqual([method, t]);
          if (chunked && trailers.length > 0) expect(whole.trailers).toEqual(trailers.flat());
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rejects a split malformed request exactly as a whole one', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 1, maxLength: 120 })
          .map((a) => Buffer.from(a).toString('latin1')),
        cuts,
        (junk, cutPoints) => {
          const bytes = Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\n${junk}\r\n\r\n`, 'latin1');
          expect(parseChunks(splitAt(bytes, cutPoints))).toEqual(parseChunks([bytes]));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('parses back a request head it wrote (identity)', () => {
    fc.assert(
      fc.property(token, target, fc.boolean(), fields, (method, t, v10, fs) => {
        const req = RequestHeader.build(method, t, v10 ? 'HTTP/1.0' : 'HTTP/1.1');
        for (const [n, v] of fs) req.appendHeader(n, v);
        const buf = Buffer.alloc(requestHeadLength(req));
        expect(writeRequestHead(req, buf, 0)).toBe(buf.length);
        const parsed = parseChunks([buf]);
        expect(parsed.error).toBe('');
        expect(parsed.method).toBe(method);
        expect(parsed.target).toBe(t);
        expect(parsed.minor).toBe(v10 ? 0 : 1);
        expect(parsed.fields).toEqual(fs.flat());
      }),
      { numRuns: 300 },
    );
  });

  it('parses back a response head it wrote (identity)', () => {
    const reason = fc.stringMatching(/^[\x20-\x7e\x80-\xff\t]{0,30}$/);
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 999 }), reason, fields, (status, r, fs) => {
        const resp = ResponseHeader.build(status);
        resp.reason = r;
        for (const [n, v] of fs) resp.appendHeader(n, v);
        resp.appendHeader('Content-Length', 0);
        const buf = Buffer.alloc(responseHeadLength(resp));
        expect(writeResponseHead(resp, buf, 0)).toBe(buf.length);
        const parsed = parseChunks([buf], HeadMode.Response);
        expect(parsed.error).toBe('');
        expect([parsed.status, parsed.reason]).toEqual([status, r]);
        expect(parsed.fields).toEqual([...fs.flat(), 'Content-Length', '0']);
      }),
      { numRuns: 300 },
    );
  });
});
