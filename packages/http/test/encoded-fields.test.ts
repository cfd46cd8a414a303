/**
 * Encoded fields (HeaderList.encodeFields) over parsed heads: a head whose
 * lines are still the bytes they were received as, encoded once and then
 * edited (or its clones edited) in any order, writes exactly what its
 * fields say: raw lines as received, changed ones from their strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResponseHeader } from '../src/index.ts';

function parsed(lines: readonly string[]): ResponseHeader {
  const text = `HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
  const head = ResponseHeader.unchecked(200, 'OK', 'HTTP/1.1');
  const names: string[] = [];
  const values: string[] = [];
  const starts: number[] = [];
  let at = text.indexOf('\r\n') + 2;
  for (const line of lines) {
    const colon = line.indexOf(':');
    names.push(line.slice(0, colon));
    values.push(line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
    starts.push(at);
    at += line.length + 2;
  }
  head.adoptParsed(names, values, text, starts);
  return head;
}

function fieldsOnWire(head: ResponseHeader): string {
  const wire = head.toWire().toString('latin1');
  return wire.slice(wire.indexOf('\r\n') + 2, -2);
}

const NAMES = ['a', 'B', 'c-d', 'Age'];
type Op = ['insert' | 'append' | 'remove' | 'encode' | 'clone', string, string];
const opArb: fc.Arbitrary<Op> = fc.tuple(
  fc.constantFrom(
    'insert' as const,
    'append' as const,
    'remove' as const,
    'encode' as const,
    'clone' as const,
  ),
  fc.constantFrom(...NAMES),
  fc.constantFrom('1', 'x y'),
);
const lineArb = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom('', ' ', '\t '), fc.constantFrom('p', 'q r'))
  .map(([n, ows, v]) => `${n}:${ows}${v}${ows}`);

describe('encoded fields over raw parsed lines', () => {
  it('the stored head encoded once: unchanged lines go out as received, edits as strings', () => {
    const head = parsed(['Server:nginx', 'X-Spaced:   a  b   ', 'Age: 9']);
    head.removeHeader('age');
    head.encodeFields();
    expect(head.encodedFieldCount).toBe(2);
    const hit = head.clone();
    hit.appendUnchecked('Age', '3', 'age');
    expect(fieldsOnWire(hit)).toBe('Server:nginx\r\nX-Spaced:   a  b   \r\nAge: 3\r\n');
    hit.insertHeader('x-spaced', 'c');
    expect(hit.encodedFieldCount).toBe(0);
    expect(fieldsOnWire(hit)).toBe('Server:nginx\r\nx-spaced: c\r\nAge: 3\r\n');
    expect(fieldsOnWire(head)).toBe('Server:nginx\r\nX-Spaced:   a  b   \r\n');
  });

  it('property: any edits, encodes and clones write what a model of the fields says', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 6 }),
        fc.array(opArb, { maxLength: 12 }),
        (lines, ops) => {
          let head = parsed(lines);
          let model = lines.map((l) => {
            const colon = l.indexOf(':');
            return {
              name: l.slice(0, colon),
              value: l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''),
              raw: l as string | null,
            };
          });
          for (const [kind, name, value] of ops) {
            const lower = name.toLowerCase();
            if (kind === 'encode') head.encodeFields();
            else if (kind === 'clone') head = head.clone();
            else if (kind === 'append') {
              head.appendHeader(name, value);
              model.push({ name, value, raw: null });
            } else if (kind === 'remove') {
              head.removeHeader(name);
              model = model.filter((f) => f.name.toLowerCase() !== lower);
            } else {
              head.insertHeader(name, value);
              const first = model.findIndex((f) => f.name.toLowerCase() === lower);
              if (first === -1) model.push({ name, value, raw: null });
              else {
                model[first] = { name, value, raw: null };
                model = model.filter((f, i) => i <= first || f.name.toLowerCase() !== lower);
              }
            }
            const expected = model.map((f) => `${f.raw ?? `${f.name}: ${f.value}`}\r\n`).join('');
            expect(fieldsOnWire(head)).toBe(expected);
            expect(head.headersWireLength()).toBe(expected.length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
