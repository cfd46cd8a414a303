/**
 * TableHistogram: a Prometheus histogram whose buckets live on SeriesTable
 * records (a Float64Array each), so observing a value is a short bucket scan
 * and three increments, with no label hashing or allocation: cheap enough
 * for one observation per proxied request. It hands the registry the same
 * shape prom-client's own metrics do (the public `get()` contract).
 */
import type { Histogram, Registry } from 'prom-client';
import type { Labels, SeriesRecord, SeriesTable } from './series-table.ts';

export interface HistogramRecord extends SeriesRecord {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A fresh record for `labels` over `bounds.length` finite buckets. */
export function histogramRecord(labels: Labels, bounds: Float64Array): HistogramRecord {
  return { labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
}

/** Adds one observation; a value equal to a bound falls in that bound's bucket (`le`). */
export function observe(record: HistogramRecord, bounds: Float64Array, value: number): void {
  let i = 0;
  while (i < bounds.length && value > (bounds[i] as number)) i++;
  record.counts[i] = (record.counts[i] as number) + 1;
  record.sum += value;
  record.count++;
}

interface ExportedValue {
  labels: Record<string, string>;
  value: number;
  metricName: string;
}

/** The metric the registry sees: name, help, type and the values of every record at scrape time. */
class TableHistogramMetric<R extends HistogramRecord> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #table: SeriesTable<R>;
  readonly #bounds: Float64Array;
  readonly #le: string[];

  constructor(name: string, help: string, table: SeriesTable<R>, bounds: Float64Array) {
    this.name = name;
    this.help = help;
    this.#table = table;
    this.#bounds = bounds;
    this.#le = Array.from(bounds, (b) => String(b));
  }

  async get() {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    this.#table.forEach((r) => {
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += r.counts[i] as number;
        values.push({
          labels: { le: this.#le[i] as string, ...r.labels },
          value: acc,
          metricName: bucket,
        });
      }
      values.push({ labels: { le: '+Inf', ...r.labels }, value: r.count, metricName: bucket });
      values.push({ labels: { ...r.labels }, value: r.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...r.labels }, value: r.count, metricName: `${this.name}_count` });
    });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /** registry.resetMetrics(): every record back to zero. */
  reset(): void {
    this.#table.forEach((r) => {
      r.counts.fill(0);
      r.sum = 0;
      r.count = 0;
    });
  }
}

/** Registers a histogram over `table` in `registry` under `name`. */
export function registerTableHistogram<R extends HistogramRecord>(
  registry: Registry,
  name: string,
  help: string,
  table: SeriesTable<R>,
  bounds: Float64Array,
): void {
  const metric = new TableHistogramMetric(name, help, table, bounds);
  // The registry only calls get() and reset() (and reads name/type): the
  // contract of its Metric union, which names prom-client's own classes.
  registry.registerMetric(metric as unknown as Histogram);
}
