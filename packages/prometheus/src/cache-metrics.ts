/**
 * HTTP cache metrics from @pingora-ts/cache's events: lookups by result
 * (`pingora-ts:cache:lookup`), bytes stored (`:store`), evictions
 * (`:evict`) and cache lock waits with their time (`:lock-wait`). Channels
 * are subscribed by name and read structurally (no dependency on the cache
 * package); every label comes from a fixed set.
 */
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';
import { type HistogramRecord, histogramRecord, observe } from './table-histogram.ts';

export const CACHE_LOOKUP_CHANNEL = 'pingora-ts:cache:lookup';
export const CACHE_STORE_CHANNEL = 'pingora-ts:cache:store';
export const CACHE_EVICT_CHANNEL = 'pingora-ts:cache:evict';
export const CACHE_LOCK_WAIT_CHANNEL = 'pingora-ts:cache:lock-wait';

const STATUSES: ReadonlySet<string> = new Set([
  'HIT',
  'MISS',
  'STALE',
  'EXPIRED',
  'REVALIDATED',
  'BYPASS',
]);
const LOCK_STATUSES: ReadonlySet<string> = new Set([
  'Done',
  'TransientError',
  'GiveUp',
  'Dangling',
  'WaitTimeout',
  'AgeTimeout',
]);

const LOCK_WAIT_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10];

interface Labelled {
  readonly labels: { readonly status: string };
  count: number;
}

interface Totals {
  readonly labels: Record<string, never>;
  storedBytes: number;
  storedItems: number;
  evictedBytes: number;
  evictedItems: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

export class CacheMetrics {
  readonly #lookups: SeriesTable<Labelled>;
  readonly #lockWaits: SeriesTable<Labelled>;
  readonly #lockTime: SeriesTable<HistogramRecord>;
  readonly #bounds = Float64Array.from(LOCK_WAIT_BUCKETS);
  readonly #totals: Totals = {
    labels: {},
    storedBytes: 0,
    storedItems: 0,
    evictedBytes: 0,
    evictedItems: 0,
  };

  constructor(set: MetricSet) {
    const labelled = (status: string): Labelled => ({ labels: { status }, count: 0 });
    this.#lookups = new SeriesTable(Number.MAX_SAFE_INTEGER, labelled);
    this.#lockWaits = new SeriesTable(Number.MAX_SAFE_INTEGER, labelled);
    const bounds = this.#bounds;
    this.#lockTime = new SeriesTable(1, () => histogramRecord({}, bounds));
    const totals = new SeriesTable(1, () => this.#totals);
    totals.get('');
    set.counter(
      'cache_lookups_total',
      'Requests with the HTTP cache on, by result (X-Cache-Status)',
      ['status'],
      this.#lookups,
      (s) => s.count,
    );
    set.counter(
      'cache_stored_bytes_total',
      'Bytes admitted to cache storage',
      [],
      totals,
      (t) => t.storedBytes,
    );
    set.counter(
      'cache_stored_items_total',
      'Assets admitted to cache storage',
      [],
      totals,
      (t) => t.storedItems,
    );
    set.counter(
      'cache_evicted_bytes_total',
      'Bytes evicted from cache storage',
      [],
      totals,
      (t) => t.evictedBytes,
    );
    set.counter(
      'cache_evicted_items_total',
      'Assets evicted from cache storage',
      [],
      totals,
      (t) => t.evictedItems,
    );
    set.counter(
      'cache_lock_waits_total',
      'Requests that waited on the cache lock, by how the wait ended',
      ['status'],
      this.#lockWaits,
      (s) => s.count,
    );
    set.histogram(
      'cache_lock_wait_seconds',
      'Time spent waiting on the cache lock',
      this.#lockTime,
      bounds,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [CACHE_LOOKUP_CHANNEL, this.#onLookup],
      [CACHE_STORE_CHANNEL, this.#onStore],
      [CACHE_EVICT_CHANNEL, this.#onEvict],
      [CACHE_LOCK_WAIT_CHANNEL, this.#onLockWait],
    ];
  }

  readonly #onLookup = (message: unknown): void => {
    const status = (message as { status?: unknown } | null)?.status;
    if (typeof status !== 'string') return;
    this.#lookups.get(STATUSES.has(status) ? status : OVERFLOW_LABEL).count++;
  };

  readonly #onStore = (message: unknown): void => {
    const t = this.#totals;
    t.storedBytes += num((message as { bytes?: unknown } | null)?.bytes);
    t.storedItems++;
  };

  readonly #onEvict = (message: unknown): void => {
    const m = message as { bytes?: unknown; items?: unknown } | null;
    const t = this.#totals;
    t.evictedBytes += num(m?.bytes);
    t.evictedItems += num(m?.items);
  };

  readonly #onLockWait = (message: unknown): void => {
    const m = message as { status?: unknown; ms?: unknown } | null;
    const status = m?.status;
    if (typeof status !== 'string') return;
    this.#lockWaits.get(LOCK_STATUSES.has(status) ? status : OVERFLOW_LABEL).count++;
    observe(this.#lockTime.get(''), this.#bounds, num(m?.ms) / 1000);
  };
}
