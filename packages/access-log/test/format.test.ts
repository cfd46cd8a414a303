/**
 * Property tests of the pieces a log line is made of: nginx escaping keeps
 * every line one printable-ASCII line that decodes back to the input, and
 * request ids are accepted only from the safe set, 1 to 128 characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeNginx } from '../src/combined-format.ts';
import { isValidRequestId, REQUEST_ID_MAX_LENGTH } from '../src/request-id.ts';

function unescapeNginx(s: string): string {
  return s.replace(/\\x([0-9A-F]{2})/g, (_, h: string) =>
    String.fromCharCode(Number.parseInt(h, 16)),
  );
}

describe('escapeNginx', () => {
  it('yields printable ASCII without a bare quote or backslash, and decodes back', () => {
    const latin1 = fc.string({
      unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(latin1, (value) => {
        const out = escapeNginx(value);
        if (value === '') return out === '-';
        expect(out).toMatch(/^[\x20-\x7e]*$/);
        expect(out.replace(/\\x[0-9A-F]{2}/g, '')).not.toMatch(/["\\]/);
        expect(unescapeNginx(out)).toBe(value);
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('writes - for a missing value', () => {
    expect(escapeNginx(undefined)).toBe('-');
  });
});

describe('isValidRequestId', () => {
  const safe = fc.constantFrom(
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/+=@-'.split(''),
  );

  it('accepts 1 to 128 characters of the safe set', () => {
    fc.assert(
      fc.property(fc.string({ unit: safe, minLength: 1, maxLength: REQUEST_ID_MAX_LENGTH }), (id) =>
        isValidRequestId(id),
      ),
    );
  });

  it('refuses empty, oversized and any id with another character', () => {
    expect(isValidRequestId('')).toBe(false);
    expect(isValidRequestId('a'.repeat(REQUEST_ID_MAX_LENGTH + 1))).toBe(false);
    fc.assert(
      fc.property(
        fc.string({ unit: safe, maxLength: 20 }),
        fc
          .string({ unit: 'binary', minLength: 1, maxLength: 1 })
          .filter((c) => !/^[A-Za-z0-9._:/+=@-]$/.test(c)),
        fc.string({ unit: safe, maxLength: 20 }),
        (a, bad, b) => !isValidRequestId(`${a}${bad}${b}`),
      ),
    );
  });
});
