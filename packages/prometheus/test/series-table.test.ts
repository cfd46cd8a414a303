/**
 * SeriesTable, the bounded store behind every counter and gauge: a property
 * test against a plain Map model (first maxSeries label sets get their own
 * record, later ones share the overflow record, nothing is lost or double
 * counted), and one-label use.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OVERFLOW_LABEL, SeriesTable } from '../src/series-table.ts';

interface Rec {
  readonly labels: { readonly a: string; readonly b: string };
  n: number;
}

describe('SeriesTable', () => {
  it('matches a bounded Map model for any sequence of label pairs', () => {
    const label = fc.constantFrom('', 'x', 'y', 'z', 'other', 'x\u0000y');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(label, label), { maxLength: 200 }),
        (max, pairs) => {
          const table = new SeriesTable<Rec>(max, (a, b) => ({ labels: { a, b }, n: 0 }));
          const model = new Map<string, number>();
          let overflow = 0;
          for (const [a, b] of pairs) {
            table.get(a, b).n++;
            const key = JSON.stringify([a, b]);
            if (model.has(key)) model.set(key, (model.get(key) ?? 0) + 1);
            else if (model.size < max) model.set(key, 1);
            else overflow++;
          }
          expect(table.size).toBe(model.size);
          const seen = new Map<string, number>();
          let overflowSeen: number | undefined;
          table.forEach((r) => {
            const own = table.peek(r.labels.a, r.labels.b);
            if (own === r) seen.set(JSON.stringify([r.labels.a, r.labels.b]), r.n);
            else {
              expect(r.labels).toEqual({ a: OVERFLOW_LABEL, b: OVERFLOW_LABEL });
              overflowSeen = r.n;
            }
          });
          expect(seen).toEqual(model);
          expect(overflowSeen ?? 0).toBe(overflow);
        },
      ),
    );
  });

  it('keys one-label tables by the first value alone', () => {
    const table = new SeriesTable(10, (peer) => ({ labels: { peer }, n: 0 }));
    table.get('a').n++;
    table.get('a').n++;
    expect(table.size).toBe(1);
    expect(table.peek('a')?.n).toBe(2);
    expect(table.peek('b')).toBeUndefined();
  });
});
