/**
 * Shared fields (ResponseHeader.sharedClone): a copy that reads a frozen
 * head's fields in place, as a cache hit's head does. Whatever is done to
 * the copy (appends, inserts, removals, encodes, clones, further shared
 * copies) it reads and writes what a model of its fields says, and the
 * frozen head never changes.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
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

interface Field {
  name: string;
  value: string;
  raw: string | null;
}

function wireOf(model: readonly Field[]): string {
  return model.map((f) => `${f.raw ?? `${f.name}: ${f.value}`}\r\n`).join('');
}

/** Every read of `head` agrees with `model`. */
function expectReads(head: ResponseHeader, model: readonly Field[]): void {
  const expected = wireOf(model);
  expect(fieldsOnWire(head)).toBe(expected);
  expect(head.headersWireLength()).toBe(expected.length);
  expect(head.headerCount).toBe(model.length);
  for (let i = 0; i < model.length; i++) {
    expect(head.nameAt(i)).toBe(model[i]!.name);
    expect(head.valueAt(i)).toBe(model[i]!.value);
    expect(head.isRawAt(i)).toBe(model[i]!.raw !== null);
  }
  for (const n of NAMES) {
    const lower = n.toLowerCase();
    const values = model.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
    expect(head.getHeader(n)).toBe(values[0]);
    expect(head.getAll(n)).toEqual(values);
    expect(head.hasHeader(n)).toBe(values.length > 0);
    expect(head.hasAnyOf(new Set([lower]))).toBe(values.length > 0);
  }
}

const NAMES = ['a', 'B', 'c-d', 'Age'];
type Op = [
  'insert' | 'append' | 'unchecked' | 'remove' | 'removeAll' | 'encode' | 'clone' | 'share',
  string,
  string,
];
const opArb: fc.Arbitrary<Op> = fc.tuple(
  fc.constantFrom(
    'insert' as const,
    'append' as const,
    'unchecked' as const,
    'remove' as const,
    'removeAll' as const,
    'encode' as const,
    'clone' as const,
    'share' as const,
  ),
  fc.constantFrom(...NAMES),
  fc.constantFrom('1', 'x y'),
);
const lineArb = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom('', ' ', '\t '), fc.constantFrom('p', 'q r'))
  .map(([n, ows, v]) => `${n}:${ows}${v}${ows}`);

describe('shared fields', () => {
  it('a cache hit: the copy appends and inserts, the stored head stays as it was', () => {
    const stored = parsed(['Server:nginx', 'Content-Length: 5', 'ETag: "x"']);
    stored.encodeFields();
    const hit = stored.sharedClone();
    hit.appendUnchecked('Age', '3', 'age');
    hit.insertHeader('X-Cache-Status', 'HIT');
    expect(hit.encodedFieldCount).toBe(3);
    expect(hit.getHeader('content-length')).toBe('5');
    expect(fieldsOnWire(hit)).toBe(
      'Server:nginx\r\nContent-Length: 5\r\nETag: "x"\r\nAge: 3\r\nX-Cache-Status: HIT\r\n',
    );
    // changing a shared field copies the fields first; the stored head is untouched
    hit.insertHeader('etag', '"y"');
    expect(hit.encodedFieldCount).toBe(0);
    expect(fieldsOnWire(hit)).toBe(
      'Server:nginx\r\nContent-Length: 5\r\netag: "y"\r\nAge: 3\r\nX-Cache-Status: HIT\r\n',
    );
    expect(fieldsOnWire(stored)).toBe('Server:nginx\r\nContent-Length: 5\r\nETag: "x"\r\n');
    expect(stored.encodedFieldCount).toBe(3);
  });

  it('a shared head is frozen: changing it throws InternalError', () => {
    const stored = parsed(['A: 1']);
    stored.sharedClone();
    const changes: Array<() => unknown> = [
      () => stored.insertHeader('b', '2'),
      () => stored.appendHeader('b', '2'),
      () => stored.appendUnchecked('b', '2'),
      () => stored.removeHeader('a'),
      () => stored.removeAllOf(new Set(['a'])),
      () => stored.clearHeaders(),
    ];
    for (const change of changes) {
      let caught: unknown;
      try {
        change();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PingoraError);
      expect((caught as PingoraError).type).toBe(ErrorType.InternalError);
    }
    expect(fieldsOnWire(stored)).toBe('A: 1\r\n');
    // reading it, encoding it and copying it are fine
    stored.encodeFields();
    const copy = stored.clone();
    copy.appendHeader('b', '2');
    expect(fieldsOnWire(copy)).toBe('A: 1\r\nb: 2\r\n');
  });

  it('property: any edits of shared copies read and write what a model says; frozen heads never change', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 6 }),
        fc.array(opArb, { maxLength: 14 }),
        (lines, ops) => {
          let head = parsed(lines);
          let model: Field[] = lines.map((l) => {
            const colon = l.indexOf(':');
            return {
              name: l.slice(0, colon),
              value: l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''),
              raw: l,
            };
          });
          const frozen: Array<[ResponseHeader, string]> = [];
          for (const [kind, name, value] of ops) {
            const lower = name.toLowerCase();
            if (kind === 'encode') head.encodeFields();
            else if (kind === 'clone') head = head.clone();
            else if (kind === 'share') {
              const next = head.sharedClone();
              frozen.push([head, wireOf(model)]);
              head = next;
            } else if (kind === 'append' || kind === 'unchecked') {
              if (kind === 'append') head.appendHeader(name, value);
              else head.appendUnchecked(name, value);
              model.push({ name, value, raw: null });
            } else if (kind === 'remove' || kind === 'removeAll') {
              if (kind === 'remove') head.removeHeader(name);
              else head.removeAllOf(new Set([lower]));
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
            expectReads(head, model);
          }
          for (const [h, wire] of frozen) expect(fieldsOnWire(h)).toBe(wire);
          // entries and forEachHeader see the same fields in order
          const seen: string[] = [];
          head.forEachHeader((n, v) => seen.push(`${n}=${v}`));
          expect(seen).toEqual(model.map((f) => `${f.name}=${f.value}`));
          expect([...head.entries()]).toEqual(model.map((f) => [f.name, f.value]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
