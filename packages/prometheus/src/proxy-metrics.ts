/**
 * Request metrics from the proxy's `pingora-ts:proxy:request` event (one per
 * finished request): requests by method and status, their duration, errors
 * by kind, retries and body bytes; and client aborts by phase from
 * `pingora-ts:proxy:client-abort`. The channel is subscribed by name and its
 * messages read structurally, so this package does not depend on the proxy.
 * Every label is drawn from a fixed set, so clients cannot grow the series.
 */
import { isErrorType } from '@pingora-ts/error';
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';
import { type HistogramRecord, histogramRecord, observe } from './table-histogram.ts';

/** The channel the proxy publishes on (its proxyRequestChannel). */
export const PROXY_REQUEST_CHANNEL = 'pingora-ts:proxy:request';
/** One event per client that went away mid-request or mid-response (clientAbortChannel). */
export const PROXY_CLIENT_ABORT_CHANNEL = 'pingora-ts:proxy:client-abort';

/** Request durations: from sub-millisecond cache-like answers to long uploads. */
export const DEFAULT_REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** The part of the proxy's ProxyRequestEvent these metrics read. */
interface RequestMessage {
  readonly method?: unknown;
  readonly status?: unknown;
  readonly retries?: unknown;
  readonly durationMs?: unknown;
  readonly requestBodyBytes?: unknown;
  readonly responseBodyBytes?: unknown;
  readonly error?: unknown;
}

const METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** Status codes as label text, made once each (0: no response was sent). */
const STATUS_TEXT: string[] = [];
function statusText(status: number): string {
  if (!Number.isInteger(status) || status < 0 || status > 999) return OVERFLOW_LABEL;
  STATUS_TEXT[status] ??= String(status);
  return STATUS_TEXT[status] as string;
}

interface RequestSeries {
  readonly labels: { readonly method: string; readonly status: string };
  count: number;
}

interface ErrorSeries {
  readonly labels: { readonly error: string };
  count: number;
}

interface AbortSeries {
  readonly labels: { readonly phase: string };
  count: number;
}

interface Totals {
  readonly labels: Record<string, never>;
  retries: number;
  requestBytes: number;
  responseBytes: number;
}

export class ProxyMetrics {
  readonly #requests: SeriesTable<RequestSeries>;
  readonly #errors: SeriesTable<ErrorSeries>;
  readonly #aborts: SeriesTable<AbortSeries>;
  readonly #durations: SeriesTable<HistogramRecord>;
  readonly #bounds: Float64Array;
  readonly #totals: Totals = { labels: {}, retries: 0, requestBytes: 0, responseBytes: 0 };

  constructor(set: MetricSet, buckets: readonly number[]) {
    // (METHODS + other) x (0..999 + other), and (ErrorType + other): bounded by construction.
    this.#requests = new SeriesTable(Number.MAX_SAFE_INTEGER, (method, status) => ({
      labels: { method, status },
      count: 0,
    }));
    this.#errors = new SeriesTable(Number.MAX_SAFE_INTEGER, (error) => ({
      labels: { error },
      count: 0,
    }));
    // request, response, other: bounded by construction.
    this.#aborts = new SeriesTable(Number.MAX_SAFE_INTEGER, (phase) => ({
      labels: { phase },
      count: 0,
    }));
    const bounds = Float64Array.from(buckets);
    this.#bounds = bounds;
    this.#durations = new SeriesTable(1, () => histogramRecord({}, bounds));
    const totals = new SeriesTable(1, () => this.#totals);
    totals.get('');
    set.counter(
      'requests_total',
      'Requests the proxy finished, by method and the status sent downstream (0: none sent)',
      ['method', 'status'],
      this.#requests,
      (s) => s.count,
    );
    set.histogram(
      'request_duration_seconds',
      'From the request head to the end of the response',
      this.#durations,
      bounds,
    );
    set.counter(
      'request_errors_total',
      'Requests that failed, by error kind',
      ['error'],
      this.#errors,
      (s) => s.count,
    );
    set.counter(
      'client_aborts_total',
      'Clients that went away mid-request or mid-response (logged at debug, not as errors)',
      ['phase'],
      this.#aborts,
      (s) => s.count,
    );
    set.counter(
      'upstream_retries_total',
      'Upstream attempts retried',
      [],
      totals,
      (t) => t.retries,
    );
    set.counter(
      'request_body_bytes_total',
      'Request body bytes read from clients',
      [],
      totals,
      (t) => t.requestBytes,
    );
    set.counter(
      'response_body_bytes_total',
      'Response body bytes written to clients',
      [],
      totals,
      (t) => t.responseBytes,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [PROXY_REQUEST_CHANNEL, this.#onRequest],
      [PROXY_CLIENT_ABORT_CHANNEL, this.#onClientAbort],
    ];
  }

  readonly #onClientAbort = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const phase = (message as { phase?: unknown }).phase;
    this.#aborts.get(phase === 'request' || phase === 'response' ? phase : OVERFLOW_LABEL).count++;
  };

  readonly #onRequest = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const e = message as RequestMessage;
    const { method, status, durationMs } = e;
    if (typeof method !== 'string' || typeof status !== 'number') return;
    this.#requests.get(METHODS.has(method) ? method : OVERFLOW_LABEL, statusText(status)).count++;
    if (typeof durationMs === 'number' && durationMs >= 0 && durationMs < Infinity) {
      observe(this.#durations.get(''), this.#bounds, durationMs / 1000);
    }
    if (e.error !== undefined) {
      this.#errors.get(isErrorType(e.error) ? e.error : OVERFLOW_LABEL).count++;
    }
    const t = this.#totals;
    t.retries += count(e.retries);
    t.requestBytes += count(e.requestBodyBytes);
    t.responseBytes += count(e.responseBodyBytes);
  };
}

/** A non-negative integer field, 0 for anything else. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}
