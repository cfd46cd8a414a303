/**
 * MetricSet: the prom-client metrics one PrometheusMetrics registers, named
 * with its prefix, and removed again together. Counters and gauges read
 * their values from a SeriesTable when scraped, so the event handlers that
 * feed them only bump numbers; histograms are TableHistograms for the same
 * reason.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SeriesRecord, SeriesTable } from './series-table.ts';
import { type HistogramRecord, registerTableHistogram } from './table-histogram.ts';

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

export class MetricSet {
  readonly registry: Registry;
  readonly prefix: string;
  readonly #names: string[] = [];

  constructor(registry: Registry, prefix: string) {
    if (!METRIC_PREFIX.test(prefix)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `prometheus: metric prefix "${prefix}" is not a valid metric name start ([a-zA-Z_:][a-zA-Z0-9_:]*)`,
      );
    }
    this.registry = registry;
    this.prefix = prefix;
  }

  /** A counter reading `pick(record)` of each table record at scrape time (values only grow). */
  counter<R extends SeriesRecord>(
    name: string,
    help: string,
    labelNames: string[],
    table: SeriesTable<R>,
    pick: (record: R) => number,
  ): Counter {
    const full = this.#claim(name);
    return new Counter({
      name: full,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Counter) {
        this.reset();
        table.forEach((r) => {
          this.inc(r.labels, pick(r));
        });
      },
    });
  }

  /** A gauge reading `pick(record)` of each table record at scrape time. */
  gauge<R extends SeriesRecord>(
    name: string,
    help: string,
    labelNames: string[],
    table: SeriesTable<R>,
    pick: (record: R) => number,
  ): Gauge {
    const full = this.#claim(name);
    return new Gauge({
      name: full,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Gauge) {
        this.reset();
        table.forEach((r) => {
          this.set(r.labels, pick(r));
        });
      },
    });
  }

  /** A gauge filled by `fill` at each scrape (after a reset). */
  gaugeFrom(name: string, help: string, labelNames: string[], fill: (g: Gauge) => void): Gauge {
    const full = this.#claim(name);
    return new Gauge({
      name: full,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Gauge) {
        this.reset();
        fill(this);
      },
    });
  }

  /** A histogram over the table's records (see TableHistogram). */
  histogram<R extends HistogramRecord>(
    name: string,
    help: string,
    table: SeriesTable<R>,
    bounds: Float64Array,
  ): void {
    registerTableHistogram(this.registry, this.#claim(name), help, table, bounds);
  }

  /** Takes a metric registered by someone else into this set, so unregister() removes it too. */
  adopt(fullName: string): void {
    this.#names.push(fullName);
  }

  /** Removes every metric of this set from the registry. */
  unregister(): void {
    for (const name of this.#names.splice(0)) this.registry.removeSingleMetric(name);
  }

  #claim(name: string): string {
    const full = `${this.prefix}${name}`;
    if (this.registry.getSingleMetric(full) !== undefined) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `prometheus: a metric named "${full}" is already registered (is another PrometheusMetrics using this registry? give each its own registry or prefix)`,
      );
    }
    this.#names.push(full);
    return full;
  }
}
