import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestHeader, ResponseHeader } from '../src/index.ts';
import { expectInvalid } from './utils/expect-invalid.ts';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const tokenChar = fc.constantFrom(...TCHARS);
const name = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
/** A small set of names in varied case, so repeats and case-insensitive matches are common. */
const smallName = fc
  .tuple(
    fc.constantFrom('host', 'x-a', 'set-cookie', 'via'),
    fc.array(fc.boolean(), { maxLength: 10 }),
  )
  .map(([n, up]) => [...n].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
const vchar = fc
  .integer({ min: 0x21, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => String.fromCharCode(c));
const inner = fc.oneof(vchar, fc.constantFrom(' ', '\t'));
/** A valid field value: field-vchar at both ends, SP/HTAB allowed inside. */
const value = fc.oneof(
  fc.constant(''),
  fc.tuple(vchar, fc.string({ unit: inner, maxLength: 20 }), vchar).map(([a, m, b]) => a + m + b),
  vchar,
);
const forbiddenInValue = fc
  .oneof(
    fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 9),
    fc.constant(0x7f),
    fc.integer({ min: 0x100, max: 0xffff }),
  )
  .map((c) => String.fromCharCode(c));

function wireOf(fields: Array<[string, string]>): string {
  return fields.map(([n, v]) => `${n}: ${v}\r\n`).join('');
}

describe('properties', () => {
  it('any valid list of fields round-trips in order, case and bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(name, smallName), value), { maxLength: 40 }),
        (fields) => {
          const r = RequestHeader.build('GET', '/');
          const s = ResponseHeader.build(200);
          for (const [n, v] of fields) {
            r.appendHeader(n, v);
            s.appendHeader(n, v);
          }
          expect([...r]).toEqual(fields);
          expect(r.headerCount).toBe(fields.length);
          expect(
            r.toWire().equals(Buffer.from(`GET / HTTP/1.1\r\n${wireOf(fields)}\r\n`, 'latin1')),
          ).toBe(true);
          expect(
            s.toWire().equals(Buffer.from(`HTTP/1.1 200 OK\r\n${wireOf(fields)}\r\n`, 'latin1')),
          ).toBe(true);
          for (const [n] of fields) {
            const want = fields
              .filter(([m]) => m.toLowerCase() === n.toLowerCase())
              .map(([, v]) => v);
            expect(r.getAll(n.toUpperCase())).toEqual(want);
            expect(r.getHeader(n.toLowerCase())).toBe(want[0]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writeHeaders fills exactly headersWireLength bytes with the field lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(name, smallName), value), { maxLength: 30 }),
        fc.nat({ max: 16 }),
        (fields, offset) => {
          const r = ResponseHeader.build(204);
          for (const [n, v] of fields) r.appendHeader(n, v);
          const len = r.headersWireLength();
          const buf = Buffer.alloc(offset + len + 1, 0xaa);
          expect(r.writeHeaders(buf, offset)).toBe(offset + len);
          expect(buf.subarray(offset, offset + len).toString('latin1')).toBe(wireOf(fields));
          expect(buf[offset + len]).toBe(0xaa); // nothing written past the end
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any value holding a forbidden char is rejected and nothing is stored', () => {
    fc.assert(
      fc.property(value, forbiddenInValue, fc.nat(), (v, bad, at) => {
        const pos = at % (v.length + 1);
        const tainted = v.slice(0, pos) + bad + v.slice(pos);
        const r = RequestHeader.build('GET', '/');
        expectInvalid(() => r.appendHeader('X-Prop', tainted), 'X-Prop');
        expectInvalid(() => r.insertHeader('X-Prop', tainted), 'X-Prop');
        expect(r.headerCount).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('any name holding a non-tchar is rejected', () => {
    const nonTchar = fc
      .integer({ min: 0, max: 0x2ff })
      .map((c) => String.fromCharCode(c))
      .filter((c) => !TCHARS.includes(c));
    fc.assert(
      fc.property(name, nonTchar, fc.nat(), (n, bad, at) => {
        const pos = at % (n.length + 1);
        const tainted = n.slice(0, pos) + bad + n.slice(pos);
        expectInvalid(() => RequestHeader.build('GET', '/').appendHeader(tainted, 'v'));
      }),
      { numRuns: 500 },
    );
  });

  it('hasAnyOf and removeAllOf agree with per-name hasHeader and removeHeader', () => {
    const names = fc.array(smallName, { maxLength: 12 });
    const set = fc.uniqueArray(fc.constantFrom('host', 'x-a', 'set-cookie', 'via', 'te'), {
      maxLength: 4,
    });
    fc.assert(
      fc.property(names, set, (fields, lowers) => {
        const a = RequestHeader.build('GET', '/');
        for (const [i, n] of fields.entries()) a.appendHeader(n, `v${i}`);
        const b = a.clone();
        const wanted = new Set(lowers);
        expect(a.hasAnyOf(wanted)).toBe(lowers.some((n) => b.hasHeader(n)));
        a.removeAllOf(wanted);
        for (const n of lowers) b.removeHeader(n);
        expect(a.headerNames()).toEqual(b.headerNames());
        expect(a.headerNames().map((n) => a.getAll(n))).toEqual(
          b.headerNames().map((n) => b.getAll(n)),
        );
      }),
    );
  });

  it('insert/append/remove behave like a simple ordered model', () => {
    type Op = ['insert' | 'append' | 'remove', string, string];
    const op: fc.Arbitrary<Op> = fc.tuple(
      fc.constantFrom('insert' as const, 'append' as const, 'remove' as const),
      smallName,
      value,
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const h = RequestHeader.build('GET', '/');
        let model: Array<[string, string]> = [];
        for (const [kind, n, v] of ops) {
          const key = n.toLowerCase();
          if (kind === 'append') {
            h.appendHeader(n, v);
            model.push([n, v]);
          } else if (kind === 'remove') {
            const want = model.filter(([m]) => m.toLowerCase() === key).map(([, x]) => x);
            expect(h.removeHeader(n)).toEqual(want.length === 0 ? undefined : want);
            model = model.filter(([m]) => m.toLowerCase() !== key);
          } else {
            h.insertHeader(n, v);
            const first = model.findIndex(([m]) => m.toLowerCase() === key);
            if (first === -1) model.push([n, v]);
            else {
              model[first] = [n, v];
              model = model.filter(([m], i) => i <= first || m.toLowerCase() !== key);
            }
          }
          expect([...h]).toEqual(model);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('encoded fields: after any insert/append/remove/removeAllOf/clear, on the head or a clone, the wire is what the fields say', () => {
    type Op = [
      'insert' | 'append' | 'remove' | 'removeAll' | 'clear' | 'encode' | 'clone',
      string,
      string,
    ];
    const op: fc.Arbitrary<Op> = fc.tuple(
      fc.constantFrom(
        'insert' as const,
        'append' as const,
        'append' as const,
        'remove' as const,
        'removeAll' as const,
        'clear' as const,
        'encode' as const,
        'clone' as const,
      ),
      smallName,
      value,
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const base = ResponseHeader.build(200);
        base.appendHeader('Server', 'x');
        base.appendHeader('Via', '1.1 a');
        base.encodeFields();
        const before = base.toWire();
        let h = base.clone();
        for (const [kind, n, v] of ops) {
          if (kind === 'insert') h.insertHeader(n, v);
          else if (kind === 'append') h.appendHeader(n, v);
          else if (kind === 'remove') h.removeHeader(n);
          else if (kind === 'removeAll') h.removeAllOf(new Set([n.toLowerCase()]));
          else if (kind === 'clear') h.clearHeaders();
          else if (kind === 'encode') h.encodeFields();
          else h = h.clone();
          const fields = [...h];
          expect(h.headersWireLength()).toBe(Buffer.byteLength(wireOf(fields), 'latin1'));
          const buf = Buffer.alloc(h.headersWireLength() + 4, 0xee);
          expect(h.writeHeaders(buf, 2)).toBe(2 + h.headersWireLength());
          expect(buf.subarray(2, -2).toString('latin1')).toBe(wireOf(fields));
          expect(buf[1]).toBe(0xee);
          expect(buf[buf.length - 2]).toBe(0xee);
          expect(h.encodedFieldCount).toBeLessThanOrEqual(h.headerCount);
        }
        // the encoded original is untouched by whatever its clones went through
        expect(base.toWire().equals(before)).toBe(true);
        expect(base.encodedFieldCount).toBe(2);
      }),
      { numRuns: 300 },
    );
  });

  it('encoded fields are copied, not re-encoded, while they stay as they are', () => {
    const stored = ResponseHeader.build(200);
    stored.appendHeader('Content-Type', 'text/plain');
    stored.appendHeader('ETag', '"a"');
    stored.encodeFields();
    const copy = stored.clone();
    copy.appendHeader('Age', 3);
    copy.insertHeader('X-Cache-Status', 'HIT');
    expect(copy.encodedFieldCount).toBe(2);
    expect(copy.toWire().toString('latin1')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: "a"\r\nAge: 3\r\nX-Cache-Status: HIT\r\n\r\n',
    );
    copy.insertHeader('etag', '"b"');
    expect(copy.encodedFieldCount).toBe(0);
    expect(copy.getHeader('ETag')).toBe('"b"');
    expect(copy.toWire().toString('latin1')).toContain('etag: "b"\r\n');
    expect(stored.toWire().toString('latin1')).toContain('ETag: "a"\r\n');
  });
});
