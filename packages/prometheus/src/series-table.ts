/**
 * SeriesTable: the running values of a group of metrics per label set, kept
 * as plain numbers on records that event handlers bump without touching
 * prom-client (the metrics copy them out when scraped). Records are found by
 * one or two label values through nested maps, so a lookup allocates nothing.
 * The table is bounded: past its limit, new label sets share one overflow
 * record whose label values are `other`.
 */

export type Labels = Readonly<Record<string, string>>;

/** What a table holds: a label set plus whatever numbers the metrics need. */
export interface SeriesRecord {
  readonly labels: Labels;
}

/** The label value that stands for every label set past a table's limit. */
export const OVERFLOW_LABEL = 'other';

export class SeriesTable<R extends SeriesRecord> {
  readonly #byFirst = new Map<string, Map<string, R>>();
  readonly #max: number;
  readonly #make: (a: string, b: string) => R;
  #size = 0;
  #overflow: R | undefined;

  /** `make(a, b)` builds the record of a new label set (`b` is '' for one-label tables). */
  constructor(maxSeries: number, make: (a: string, b: string) => R) {
    this.#max = maxSeries;
    this.#make = make;
  }

  /** The record of label values (a, b), made on first use, or the overflow record past the limit. */
  get(a: string, b = ''): R {
    let inner = this.#byFirst.get(a);
    const found = inner?.get(b);
    if (found !== undefined) return found;
    if (this.#size >= this.#max) return this.#overflowRecord();
    const record = this.#make(a, b);
    if (inner === undefined) {
      inner = new Map();
      this.#byFirst.set(a, inner);
    }
    inner.set(b, record);
    this.#size++;
    return record;
  }

  /** The record of (a, b) if the table has one; never creates or overflows. */
  peek(a: string, b = ''): R | undefined {
    return this.#byFirst.get(a)?.get(b);
  }

  /** Label sets held, not counting the overflow record. */
  get size(): number {
    return this.#size;
  }

  /** Visits every record, the overflow one last. */
  forEach(visit: (record: R) => void): void {
    for (const inner of this.#byFirst.values()) for (const r of inner.values()) visit(r);
    if (this.#overflow !== undefined) visit(this.#overflow);
  }

  #overflowRecord(): R {
    this.#overflow ??= this.#make(OVERFLOW_LABEL, OVERFLOW_LABEL);
    return this.#overflow;
  }
}
