/**
 * SharedTable: every view of one buffer (as each thread has) finds a key in
 * the same cell; values are shared; distinct keys get distinct cells; a full
 * table says so.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedTable } from '../src/index.ts';

describe('SharedTable', () => {
  it('two views of one buffer agree on cells and values', () => {
    const a = new SharedTable(64);
    const b = new SharedTable(a.buffer);
    const slot = a.slot('lb-health/0/127.0.0.1:80');
    a.store(slot, 2);
    expect(b.slot('lb-health/0/127.0.0.1:80')).toBe(slot);
    expect(b.load(slot)).toBe(2);
    expect(b.add(slot, 3)).toBe(5);
    expect(a.load(slot)).toBe(5);
  });

  it('gives distinct keys distinct cells, and a key the same cell again', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 200 }), (keys) => {
        const t = new SharedTable(256);
        const slots = keys.map((k) => t.slot(k));
        expect(new Set(slots).size).toBe(keys.length);
        expect(keys.map((k) => t.slot(k))).toEqual(slots);
      }),
    );
  });

  it('refuses a key when full, and a bad capacity', () => {
    const t = new SharedTable(2);
    t.slot('a');
    t.slot('b');
    expect(() => t.slot('c')).toThrow(/full \(2 keys\)/);
    expect(() => new SharedTable(0)).toThrow(RangeError);
  });
});
