/**
 * SentryReporter: what pingora-ts sends to Sentry once the SDK is set up.
 * A request that fails (the proxy's `failure` event, just before failToProxy
 * answers it) becomes an event with the error chain, the phase, the peer,
 * the retry history and the redacted request; server phase changes become
 * breadcrumbs. Client-side failures (the client went away) are left out
 * unless asked for: they are not bugs of the proxy.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type PhaseEvent, phaseChannel } from '@pingora-ts/core/diagnostics';
import { ErrorSource } from '@pingora-ts/error';
import {
  type ProxyFailureEvent,
  proxyLifecycleChannels,
  serializeProxyError,
} from '@pingora-ts/proxy';
import type * as SentryNs from '@sentry/node';
import type { Redactor } from './redact.ts';

type Sentry = typeof SentryNs;

export interface SentryReporterOptions {
  /** Also report failures whose source is the downstream client. Default false. */
  reportDownstreamErrors?: boolean;
}

export class SentryReporter implements Disposable {
  readonly #sentry: Sentry;
  readonly #redactor: Redactor;
  readonly #reportDownstream: boolean;
  #subscribed = true;

  constructor(sentry: Sentry, redactor: Redactor, options: SentryReporterOptions = {}) {
    this.#sentry = sentry;
    this.#redactor = redactor;
    this.#reportDownstream = options.reportDownstreamErrors ?? false;
    subscribe(proxyLifecycleChannels.failure.name, this.#onFailure);
    subscribe(phaseChannel.name, this.#onPhase);
  }

  /** Reports a proxy failure (what the `failure` event does); returns the event id, if sent. */
  reportFailure(event: ProxyFailureEvent): string | undefined {
    const { session, error } = event;
    if (error.source === ErrorSource.Downstream && !this.#reportDownstream) return undefined;
    const redactor = this.#redactor;
    const request = redactor.request(session);
    const serialized = serializeProxyError(error);
    const peer = session.upstreamPeer?.toString();
    const failures = session.upstreamFailures;
    return this.#sentry.withScope((scope) => {
      scope.setTag('pingora.phase', session.phase);
      scope.setTag('pingora.error_kind', serialized.kind);
      scope.setTag('pingora.error_source', serialized.source);
      if (peer !== undefined) scope.setTag('pingora.peer', peer);
      scope.setContext('pingora', {
        phase: session.phase,
        kind: serialized.kind,
        source: serialized.source,
        retry: String(serialized.retry),
        context: serialized.context ?? null,
        peer: peer ?? null,
        retries: session.retries,
        request: redactor.summary(session),
        failures: failures.length < 2 ? null : failures.map((e) => e.message),
      });
      scope.addEventProcessor((e) => {
        e.request = request;
        return e;
      });
      return this.#sentry.captureException(error, {
        mechanism: { type: 'pingora.proxy', handled: true },
      });
    });
  }

  /** Stops listening to the events (idempotent). */
  [Symbol.dispose](): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    unsubscribe(proxyLifecycleChannels.failure.name, this.#onFailure);
    unsubscribe(phaseChannel.name, this.#onPhase);
  }

  readonly #onFailure = (message: unknown): void => {
    this.reportFailure(message as ProxyFailureEvent);
  };

  readonly #onPhase = (message: unknown): void => {
    const { phase } = message as PhaseEvent;
    this.#sentry.addBreadcrumb({
      category: 'pingora.phase',
      message: `phase ${phase}`,
      level: 'info',
      data: { phase },
    });
  };
}
