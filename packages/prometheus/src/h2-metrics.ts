/**
 * Downstream HTTP/2 metrics from core's h2 events (`pingora-ts:core:h2-*`):
 * connections ended by an HTTP/2 error, by code (floods caught by the
 * limits show up here), and streams reset by the client before they
 * started (no app or upstream work: what a rapid-reset attack looks like).
 */
import { h2Channels } from '@pingora-ts/core/diagnostics';
import type { MetricSet } from './metric-set.ts';
import { SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

interface CodeSeries {
  readonly labels: { readonly code: string };
  count: number;
}

/** Error codes kept as separate series; more share the `other` series. */
const MAX_CODES = 32;

export class H2Metrics {
  readonly #errors: SeriesTable<CodeSeries>;
  readonly #skipped = { labels: {}, count: 0 };

  constructor(set: MetricSet) {
    this.#errors = new SeriesTable(MAX_CODES, (code) => ({ labels: { code }, count: 0 }));
    set.counter(
      'h2_session_errors_total',
      'Downstream HTTP/2 connections ended by an HTTP/2 error (flood limits, protocol errors, client GOAWAY with an error code)',
      ['code'],
      this.#errors,
      (s) => s.count,
    );
    const skipped = new SeriesTable(1, () => this.#skipped);
    skipped.get('');
    set.counter(
      'h2_streams_skipped_total',
      'Downstream HTTP/2 streams reset by the client before they were served',
      [],
      skipped,
      (s) => s.count,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [h2Channels.sessionError.name, this.#onError],
      [h2Channels.streamSkipped.name, this.#onSkipped],
    ];
  }

  readonly #onError = (message: unknown): void => {
    const code = (message as { code?: unknown } | null)?.code;
    if (typeof code === 'string') this.#errors.get(code).count++;
  };

  readonly #onSkipped = (): void => {
    this.#skipped.count++;
  };
}
