/**
 * Backend health metrics from load-balancing's `pingora-ts:load-balancing:health`
 * events: whether each backend may be selected now, and how often its health
 * changed and why. The channel is subscribed by name and its messages read
 * structurally, so this package does not depend on load-balancing.
 */
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

/** The channel load-balancing publishes on (its HEALTH_CHANNEL_NAME). */
export const HEALTH_CHANNEL = 'pingora-ts:load-balancing:health';

/** The part of load-balancing's HealthChangeEvent these metrics read. */
interface HealthMessage {
  readonly backend?: { readonly addr?: unknown };
  readonly ready?: unknown;
  readonly reason?: unknown;
}

const REASONS: ReadonlySet<string> = new Set([
  'active-check',
  'passive',
  'passive-cooldown',
  'enablement',
]);

interface BackendSeries {
  readonly labels: { readonly backend: string };
  ready: number;
}

interface ChangeSeries {
  readonly labels: { readonly backend: string; readonly reason: string };
  count: number;
}

export class HealthMetrics {
  readonly #backends: SeriesTable<BackendSeries>;
  readonly #changes: SeriesTable<ChangeSeries>;

  constructor(set: MetricSet, maxSeries: number) {
    this.#backends = new SeriesTable(maxSeries, (backend) => ({ labels: { backend }, ready: 0 }));
    this.#changes = new SeriesTable(maxSeries, (backend, reason) => ({
      labels: { backend, reason },
      count: 0,
    }));
    set.gauge(
      'backend_healthy',
      'Whether the load balancer may select the backend (1) or not (0), as of its last health change',
      ['backend'],
      this.#backends,
      (s) => s.ready,
    );
    set.counter(
      'backend_health_changes_total',
      'Health changes of a backend by cause (active check, passive failures, cool-down, enablement)',
      ['backend', 'reason'],
      this.#changes,
      (s) => s.count,
    );
  }

  subscriptions(): Subscription[] {
    return [[HEALTH_CHANNEL, this.#onHealth]];
  }

  readonly #onHealth = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const { backend, ready, reason } = message as HealthMessage;
    const addr = backend?.addr;
    if (typeof addr !== 'string' || typeof ready !== 'boolean') return;
    const series = this.#backends.get(addr);
    // Past the table's limit every backend shares one series: a 0/1 there would mean nothing.
    if (series.labels.backend !== OVERFLOW_LABEL) series.ready = ready ? 1 : 0;
    const cause = typeof reason === 'string' && REASONS.has(reason) ? reason : OVERFLOW_LABEL;
    this.#changes.get(addr, cause).count++;
  };
}
