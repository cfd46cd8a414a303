/**
 * Upstream TLS metrics from the TLS backend's events
 * (`pingora-ts:tls-openssl:upstream-*`): handshakes by resumed or full,
 * failed handshakes by error type, and TLS contexts built. Subscribed by
 * channel name, so this package does not depend on the backend.
 */
import type { MetricSet } from './metric-set.ts';
import { OVERFLOW_LABEL, SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

/** The channel names @pingora-ts/tls-openssl publishes on. */
export const UPSTREAM_TLS_CHANNELS = {
  context: 'pingora-ts:tls-openssl:upstream-context',
  handshake: 'pingora-ts:tls-openssl:upstream-handshake',
  handshakeError: 'pingora-ts:tls-openssl:upstream-handshake-error',
} as const;

interface CountSeries {
  readonly labels: Readonly<Record<string, string>>;
  count: number;
}

/** Error types are a closed set in @pingora-ts/error; a bound keeps a stray value harmless. */
const MAX_ERROR_TYPES = 64;

export class UpstreamTlsMetrics {
  readonly #handshakes = new SeriesTable<CountSeries>(2, (resumed) => ({
    labels: { resumed },
    count: 0,
  }));
  readonly #failures = new SeriesTable<CountSeries>(MAX_ERROR_TYPES, (type) => ({
    labels: { type },
    count: 0,
  }));
  readonly #contexts = new SeriesTable<CountSeries>(1, () => ({ labels: {}, count: 0 }));

  constructor(set: MetricSet) {
    set.counter(
      'upstream_tls_handshakes_total',
      'Completed TLS handshakes with upstreams, by whether a cached session was resumed',
      ['resumed'],
      this.#handshakes,
      (s) => s.count,
    );
    set.counter(
      'upstream_tls_handshake_failures_total',
      'Failed TLS handshakes with upstreams, by error type (InvalidCert, TLSHandshakeFailure, TLSHandshakeTimedout, ...)',
      ['type'],
      this.#failures,
      (s) => s.count,
    );
    set.counter(
      'upstream_tls_contexts_created_total',
      'TLS contexts built for distinct upstream TLS settings (a steady rise means the context cache is too small)',
      [],
      this.#contexts,
      (s) => s.count,
    );
  }

  subscriptions(): Subscription[] {
    return [
      [UPSTREAM_TLS_CHANNELS.handshake, this.#onHandshake],
      [UPSTREAM_TLS_CHANNELS.handshakeError, this.#onError],
      [UPSTREAM_TLS_CHANNELS.context, this.#onContext],
    ];
  }

  readonly #onHandshake = (message: unknown): void => {
    const resumed = (message as { digest?: { resumed?: unknown } } | null)?.digest?.resumed;
    if (typeof resumed !== 'boolean') return;
    this.#handshakes.get(resumed ? 'true' : 'false').count++;
  };

  readonly #onError = (message: unknown): void => {
    const type = (message as { error?: { type?: unknown } } | null)?.error?.type;
    this.#failures.get(typeof type === 'string' ? type : OVERFLOW_LABEL).count++;
  };

  readonly #onContext = (): void => {
    this.#contexts.get('').count++;
  };
}
