/**
 * Server lifecycle metrics from core's `pingora-ts:core:phase` and
 * `:service` events, as Prometheus state sets: one series per phase (1 for
 * the current one, 0 for the others) and one per service and state.
 */
import { ExecutionPhase } from '@pingora-ts/core';
import {
  type PhaseEvent,
  phaseChannel,
  type ServiceEvent,
  serviceChannel,
} from '@pingora-ts/core/diagnostics';
import type { MetricSet } from './metric-set.ts';
import { SeriesTable } from './series-table.ts';
import type { Subscription } from './subscription.ts';

const PHASES: readonly string[] = Object.values(ExecutionPhase);
const SERVICE_STATES: readonly ServiceEvent['state'][] = ['starting', 'ready', 'stopped', 'failed'];

interface ServiceSeries {
  readonly labels: { readonly service: string };
  state: string | undefined;
}

export class ServerMetrics {
  #phase: string | undefined;
  #phaseAt = 0;
  readonly #services: SeriesTable<ServiceSeries>;

  constructor(set: MetricSet, maxSeries: number) {
    this.#services = new SeriesTable(maxSeries, (service) => ({
      labels: { service },
      state: undefined,
    }));
    set.gaugeFrom(
      'server_phase',
      'The phase the server is in (1 for the current phase)',
      ['phase'],
      (g) => {
        for (const phase of PHASES) g.set({ phase }, phase === this.#phase ? 1 : 0);
      },
    );
    set.gaugeFrom(
      'server_phase_timestamp_seconds',
      'When the server entered its current phase (0 before the first phase)',
      [],
      (g) => {
        if (this.#phase !== undefined) g.set(this.#phaseAt / 1000);
      },
    );
    set.gaugeFrom(
      'service_state',
      'The state of each service (1 for its current state)',
      ['service', 'state'],
      (g) => {
        this.#services.forEach((s) => {
          const service = s.labels.service;
          for (const state of SERVICE_STATES) g.set({ service, state }, state === s.state ? 1 : 0);
        });
      },
    );
  }

  subscriptions(): Subscription[] {
    return [
      [phaseChannel.name, this.#onPhase],
      [serviceChannel.name, this.#onService],
    ];
  }

  readonly #onPhase = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const { phase, at } = message as PhaseEvent;
    if (!PHASES.includes(phase)) return;
    this.#phase = phase;
    this.#phaseAt = typeof at === 'number' ? at : Date.now();
  };

  readonly #onService = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const { service, state } = message as ServiceEvent;
    if (typeof service !== 'string' || !SERVICE_STATES.includes(state)) return;
    this.#services.get(service).state = state;
  };
}
