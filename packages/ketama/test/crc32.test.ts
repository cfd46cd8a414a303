import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Bytes, crc32U32LE, crc32Utf8 } from '../src/crc32.ts';

describe('crc32', () => {
  it('matches zlib on known vectors', () => {
    expect(crc32Utf8('123456789')).toBe(0xcbf43926);
    expect(crc32Utf8('')).toBe(0);
    expect(crc32Bytes(new Uint8Array())).toBe(0);
  });

  it('matches zlib on any string (as UTF-8, lone surrogates included) and any bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.nat(), (s, prev) => {
        const seed = prev >>> 0;
        expect(crc32Utf8(s, seed)).toBe(crc32(Buffer.from(s, 'utf8'), seed));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, prev) => {
        expect(crc32Bytes(bytes, prev)).toBe(crc32(bytes, prev));
      }),
    );
  });

  it('hashes a u32 as its 4 little-endian bytes', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat(), (v, prev) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v);
        expect(crc32U32LE(v, prev)).toBe(crc32(b, prev));
      }),
    );
  });
});
