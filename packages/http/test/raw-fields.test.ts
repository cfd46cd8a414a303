/**
 * Copy on write for parsed fields (HeaderList.adoptParsed): a field nobody
 * changed is written back byte for byte as it was received (whitespace and
 * all), and every change (set, remove, append, clear, a clone's edits) is
 * written from the strings. A fast-check model checks any edit sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResponseHeader } from '../src/index.ts';

/** Parses `lines` (each `Name:value-with-OWS`) the way a parser would, into a ResponseHeader. */
function parsed(lines: readonly string[]): { head: ResponseHeader; text: string } {
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
  return { head, text };
}

function fieldsOnWire(head: ResponseHeader): string {
  const wire = head.toWire().toString('latin1');
  return wire.slice(wire.indexOf('\r\n') + 2, -2);
}

const ODD = [
  'Server:nginx',
  'X-Spaced:   a  b   ',
  'x-MiXeD: \tv\t',
  'Content-Length: 2',
  'X-Obs: caf\xe9',
];

describe('parsed fields are written back as received', () => {
  it('keeps every byte of unchanged lines (OWS, case, obs-text)', () => {
    const { head } = parsed(ODD);
    expect(fieldsOnWire(head)).toBe(ODD.map((l) => `${l}\r\n`).join(''));
    expect(head.headersWireLength()).toBe(ODD.join('\r\n').length + 2);
    expect(head.getHeader('x-spaced')).toBe('a  b');
  });

  it('writes a changed field from its strings and leaves the others raw', () => {
    const { head } = parsed(ODD);
    head.insertHeader('x-spaced', 'new');
    head.removeHeader('server');
    head.appendHeader('Via', '1.1 us');
    expect(fieldsOnWire(head)).toBe(
      'x-spaced: new\r\nx-MiXeD: \tv\t\r\nContent-Length: 2\r\nX-Obs: caf\xe9\r\nVia: 1.1 us\r\n',
    );
    expect(head.isRawAt(0)).toBe(false);
    expect(head.isRawAt(1)).toBe(true);
  });

  it('a clone keeps the raw lines, and editing it leaves the original alone', () => {
    const { head } = parsed(ODD);
    const copy = head.clone();
    copy.insertHeader('X-Obs', 'plain');
    expect(fieldsOnWire(head)).toBe(ODD.map((l) => `${l}\r\n`).join(''));
    expect(fieldsOnWire(copy)).toContain('X-Obs: plain\r\n');
    expect(fieldsOnWire(copy)).toContain('X-Spaced:   a  b   \r\n');
  });

  it('fields adopted into a list that already has some are plain fields', () => {
    const head = ResponseHeader.build(200);
    head.appendHeader('First', '1');
    head.adoptParsed(['x-a'], ['v'], 'HTTP/1.1 200 OK\r\nx-a:   v\r\n\r\n', [17]);
    expect(fieldsOnWire(head)).toBe('First: 1\r\nx-a: v\r\n');
    expect(head.isRawAt(1)).toBe(false);
  });

  it('clearHeaders forgets the raw lines', () => {
    const { head } = parsed(ODD);
    head.clearHeaders();
    head.appendHeader('Server', 'x');
    expect(fieldsOnWire(head)).toBe('Server: x\r\n');
  });
});

type Op =
  | { kind: 'insert'; name: string; value: string }
  | { kind: 'append'; name: string; value: string }
  | { kind: 'remove'; name: string };

const NAMES = ['a', 'B', 'c-d', 'Host'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    name: fc.constantFrom(...NAMES),
    value: fc.constantFrom('1', 'two', 'x y'),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    name: fc.constantFrom(...NAMES),
    value: fc.constantFrom('1', 'v'),
  }),
  fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom(...NAMES) }),
);
const lineArb = fc
  .tuple(
    fc.constantFrom(...NAMES),
    fc.constantFrom('', ' ', '  ', '\t'),
    fc.constantFrom('p', 'q r'),
  )
  .map(([n, ows, v]) => `${n}:${ows}${v}${ows}`);

describe('copy on write, against a model', () => {
  it('every edit sequence writes unchanged lines raw and the rest from strings', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 8 }),
        fc.array(opArb, { maxLength: 8 }),
        (lines, ops) => {
          const { head } = parsed(lines);
          // The model: each field's name, value and raw line (null once changed).
          let model = lines.map((l) => {
            const colon = l.indexOf(':');
            return {
              name: l.slice(0, colon),
              value: l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''),
              raw: l as string | null,
            };
          });
          for (const op of ops) {
            const lower = op.name.toLowerCase();
            if (op.kind === 'append') {
              head.appendHeader(op.name, op.value);
              model.push({ name: op.name, value: op.value, raw: null });
            } else if (op.kind === 'remove') {
              head.removeHeader(op.name);
              model = model.filter((f) => f.name.toLowerCase() !== lower);
            } else {
              head.insertHeader(op.name, op.value);
              const first = model.findIndex((f) => f.name.toLowerCase() === lower);
              if (first === -1) model.push({ name: op.name, value: op.value, raw: null });
              else {
                model[first] = { name: op.name, value: op.value, raw: null };
                model = model.filter((f, i) => i <= first || f.name.toLowerCase() !== lower);
              }
            }
          }
          const expected = model.map((f) => `${f.raw ?? `${f.name}: ${f.value}`}\r\n`).join('');
          expect(fieldsOnWire(head)).toBe(expected);
          expect(head.headersWireLength()).toBe(expected.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
