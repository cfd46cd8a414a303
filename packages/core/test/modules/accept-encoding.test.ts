import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseEncoding,
  parseAcceptEncoding,
} from '../../src/modules/http/compression/accept-encoding.ts';
import { Algorithm } from '../../src/modules/http/compression/algorithm.ts';

const ALL = new Set<Algorithm>([Algorithm.Gzip, Algorithm.Brotli, Algorithm.Zstd]);

describe('parseAcceptEncoding', () => {
  it('reads codings and q-values, lower-cased', () => {
    expect(parseAcceptEncoding('GZip;q=0.5, br , *;q=0')).toEqual([
      { coding: 'gzip', q: 0.5 },
      { coding: 'br', q: 1 },
      { coding: '*', q: 0 },
    ]);
  });

  it('drops entries with malformed weights instead of guessing', () => {
    expect(parseAcceptEncoding('gzip;q=2, br;q=abc, zstd;q=0.001, deflate;q=1.000')).toEqual([
      { coding: 'zstd', q: 0.001 },
      { coding: 'deflate', q: 1 },
    ]);
  });

  it('never throws and bounds its work on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (value) => {
        const parsed = parseAcceptEncoding(value);
        expect(parsed.length).toBeLessThanOrEqual(64);
        for (const entry of parsed) {
          expect(entry.q).toBeGreaterThanOrEqual(0);
          expect(entry.q).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe('chooseEncoding', () => {
  it('picks the highest q-value', () => {
    expect(chooseEncoding('gzip;q=1, br;q=0.5', ALL)).toBe('gzip');
    expect(chooseEncoding('gzip;q=0.2, zstd;q=0.9', ALL)).toBe('zstd');
  });

  it('breaks ties with the server preference (br, zstd, gzip)', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd', ALL)).toBe('br');
    expect(chooseEncoding('gzip, zstd', ALL)).toBe('zstd');
  });

  it('honours q=0 and the * wildcard', () => {
    expect(chooseEncoding('br;q=0, *', ALL)).toBe('zstd');
    expect(chooseEncoding('*;q=0', ALL)).toBeUndefined();
    expect(chooseEncoding('identity', ALL)).toBeUndefined();
    expect(chooseEncoding('gzip;q=0', ALL)).toBeUndefined();
  });

  it('only chooses enabled algorithms', () => {
    expect(chooseEncoding('br, gzip;q=0.1', new Set([Algorithm.Gzip]))).toBe('gzip');
    expect(chooseEncoding('br', new Set([Algorithm.Gzip]))).toBeUndefined();
    expect(chooseEncoding(undefined, ALL)).toBeUndefined();
  });
});
