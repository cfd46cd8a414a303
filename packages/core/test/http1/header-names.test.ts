/**
 * commonLowerName: the interned lower-case name is returned only for a
 * case-insensitive match of a common header name, never for anything else.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { commonLowerName } from '../../src/protocols/http/v1/header-names.ts';

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
