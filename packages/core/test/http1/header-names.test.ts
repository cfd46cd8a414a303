/**
 * commonLowerName: the interned lower-case name is returned only for a
 * case-insensitive match of a common header name, never for anything else.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { commonLowerName, commonToken } from '../../src/protocols/http/v1/header-names.ts';

it('returns the lower-case form of common names in any case, undefined otherwise', () => {
  expect(commonLowerName('Host')).toBe('host');
  expect(commonLowerName('USER-AGENT')).toBe('user-agent');
  expect(commonLowerName('Sec-CH-UA-Platform')).toBe('sec-ch-ua-platform');
  expect(commonLowerName('Hostx')).toBeUndefined();
  expect(commonLowerName('Hos7')).toBeUndefined();
  fc.assert(
    fc.property(fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,26}$/), (name) => {
      const lower = commonLowerName(name);
      if (lower !== undefined) expect(lower).toBe(name.toLowerCase());
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.constantFrom('content-length', 'accept-encoding', 'x-forwarded-for', 'cookie'),
      fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
      (name, upper) => {
        const mixed = [...name]
          .map((ch, i) => (upper[i] === true ? ch.toUpperCase() : ch))
          .join('');
        expect(commonLowerName(mixed)).toBe(name);
      },
    ),
  );
});

it('shares a string only for an exact (case-sensitive) byte match of a common token', () => {
  const buf = Buffer.from('xContent-Lengthy content-length Content-LengtH keep-alive', 'latin1');
  expect(commonToken(buf, 1, 15)).toBe('Content-Length');
  expect(commonToken(buf, 17, 31)).toBe('content-length');
  expect(commonToken(buf, 32, 46)).toBeUndefined();
  expect(commonToken(buf, 47, 57)).toBe('keep-alive');
  expect(commonToken(buf, 0, 14)).toBeUndefined();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 30 }), (bytes) => {
      const b = Buffer.from(bytes);
      const token = commonToken(b, 0, b.length);
      if (token !== undefined) expect(token).toBe(b.toString('latin1'));
    }),
    { numRuns: 2000 },
  );
});
