import { ResponseHeader } from '@pingora-ts/http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELTA_SECONDS_OVERFLOW } from '../src/cache-control.ts';
import { CacheControl } from '../src/index.ts';

describe('CacheControl whitespace', () => {
  it('takes only SP and HTAB around a directive (regression: trim() stripped NBSP)', () => {
    expect(CacheControl.parse([' max-age=60\t']).maxAge).toBe(60);
    expect(CacheControl.parse(['\u00a0max-age=60']).maxAge).toBeUndefined();
  });
});

describe('CacheControl', () => {
  it('parses public and max-age', () => {
    const cc = CacheControl.parse(['public, max-age=10000']);
    expect(cc.public).toBe(true);
    expect(cc.maxAge).toBe(10000);
  });

  it('joins directives across field lines and accepts semicolons', () => {
    const cc = CacheControl.parse(['public,', 'Max-Age=10; s-maxage=5']);
    expect(cc.public).toBe(true);
    expect(cc.maxAge).toBe(10);
    expect(cc.sMaxAge).toBe(5);
  });

  it('reads every RFC 9111 response directive', () => {
    const cc = CacheControl.parse([
      'max-age=1, s-maxage=2, no-cache, no-store, no-transform, must-revalidate, proxy-revalidate, must-understand, private, public, stale-while-revalidate=3, stale-if-error=4, immutable',
    ]);
    expect(cc.maxAge).toBe(1);
    expect(cc.sMaxAge).toBe(2);
    expect(cc.noCache && cc.noStore && cc.private && cc.public).toBe(true);
    expect(cc.mustRevalidate && cc.proxyRevalidate).toBe(true);
    expect(cc.has('no-transform') && cc.has('must-understand') && cc.has('immutable')).toBe(true);
    expect(cc.staleWhileRevalidate).toBe(3);
    expect(cc.staleIfError).toBe(4);
  });

  it('distinguishes field-name forms from bare private / no-cache', () => {
    const cc = CacheControl.parse(['private="Set-Cookie, X-Secret", no-cache="x-other"']);
    expect(cc.private).toBe(false);
    expect(cc.noCache).toBe(false);
    expect(cc.privateFieldNames()).toEqual(['set-cookie', 'x-secret']);
    expect(cc.noCacheFieldNames()).toEqual(['x-other']);
    const h = ResponseHeader.build(200)
      .appendHeader('Set-Cookie', 'a=b')
      .appendHeader('X-Secret', '1')
      .appendHeader('X-Other', '2')
      .appendHeader('X-Kept', '3');
    cc.stripFieldNames(h);
    expect(h.headerNames()).toEqual(['X-Kept']);
  });

  it('keeps the first of duplicate directives and records the duplicate', () => {
    const cc = CacheControl.parse(['max-age=10, max-age=20']);
    expect(cc.maxAge).toBe(10);
    expect(cc.duplicates.has('max-age')).toBe(true);
  });

  it('marks bad delta-seconds NaN and caps overflow', () => {
    expect(CacheControl.parse(['max-age=abc']).maxAge).toBeNaN();
    expect(CacheControl.parse(['max-age=-1']).maxAge).toBeNaN();
    expect(CacheControl.parse(['max-age=1.5']).maxAge).toBeNaN();
    expect(CacheControl.parse(['max-age="30"']).maxAge).toBe(30);
    expect(CacheControl.parse(['max-age']).maxAge).toBeUndefined();
    expect(CacheControl.parse(['max-age=99999999999999']).maxAge).toBe(DELTA_SECONDS_OVERFLOW);
  });

  it('skips malformed elements and keeps the rest', () => {
    const cc = CacheControl.parse(['public, (bad), max-age=5, x="unterminated']);
    expect(cc.public).toBe(true);
    expect(cc.maxAge).toBe(5);
    expect(cc.malformed).toBe(2);
  });

  it('unescapes quoted strings and keeps unknown directives', () => {
    const cc = CacheControl.parse(['ext="a\\"b", rand3=""']);
    expect(cc.value('ext')).toBe('a"b');
    expect(cc.value('rand3')).toBe('');
  });

  const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  const value = fc.oneof(
    fc.constant(null),
    fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
    fc.stringMatching(/^[ A-Za-z0-9,]{0,8}$/).map((s) => `"${s}"`),
  );

  it('property: formatted directives parse back to themselves (first wins)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(token, value), { maxLength: 8 }),
        fc.boolean(),
        (dirs, semi) => {
          const text = dirs
            .map(([k, v]) => (v === null ? k : `${k.toUpperCase()}=${v}`))
            .join(semi ? '; ' : ' , ');
          const cc = CacheControl.parse([text]);
          const expected = new Map<string, string | null>();
          for (const [k, v] of dirs) {
            if (!expected.has(k)) expected.set(k, v === null ? null : v.replace(/^"|"$/g, ''));
          }
          expect(cc.directives).toEqual(expected);
          expect(cc.malformed).toBe(0);
        },
      ),
    );
  });

  it('property: arbitrary input never throws and every name is a lower-case token', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }), (lines) => {
        const cc = CacheControl.parse(lines);
        for (const k of cc.directives.keys()) expect(k).toMatch(/^[a-z0-9!#$%&'*+.^_`|~-]+$/);
      }),
    );
  });

  it('property: delta-seconds are integers from 0 to 2^31 or NaN', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 14 }), (v) => {
        const n = CacheControl.parse([`max-age=${v}`]).maxAge;
        if (n !== undefined && !Number.isNaN(n)) {
          expect(Number.isInteger(n) && n >= 0 && n <= DELTA_SECONDS_OVERFLOW).toBe(true);
        }
      }),
    );
  });
});
