/**
 * The LoadBalancer as a background service (Pingora's background.rs): run
 * discovery and health checks once at start, then each at its own frequency,
 * until the shutdown signal fires. It has core's BackgroundService shape
 * (`name`, `start(shutdown)`); readyService() wraps it as a core Service that
 * reports ready after the first discovery (Pingora's ready notifier), or
 * after the first health check round, so a proxy that depends on it starts
 * with its backends known (and checked).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Service, ServiceContext } from '@pingora-ts/core';
import { toPingoraError } from '@pingora-ts/error';
import type { LoadBalancer } from './load-balancer.ts';
import { type LbLogger, silentLogger } from './logger.ts';

export class LoadBalancerService {
  readonly name: string;
  readonly lb: LoadBalancer;
  readonly #logger: LbLogger;
  readonly #readyPromise: Promise<void>;
  #markReady!: () => void;
  readonly #checkedPromise: Promise<void>;
  #markChecked!: () => void;

  constructor(name: string, lb: LoadBalancer, logger: LbLogger = silentLogger) {
    this.name = name;
    this.lb = lb;
    this.#logger = logger;
    this.#readyPromise = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    this.#checkedPromise = new Promise((resolve) => {
      this.#markChecked = resolve;
    });
  }

  /** Resolves after the first discovery attempt, when selections are set up. */
  ready(): Promise<void> {
    return this.#readyPromise;
  }

  /**
   * Resolves after the first health check round has finished (right after
   * discovery when no check runs), so every backend's health is known.
   */
  checked(): Promise<void> {
    return this.#checkedPromise;
  }

  async start(shutdown: AbortSignal): Promise<void> {
    const lb = this.lb;
    let now = performance.now();
    let nextUpdate = now;
    let nextCheck = now;
    let updateFailing = false;
    while (!shutdown.aborted) {
      const updateEvery = lb.effectiveUpdateFrequencyMs();
      const checkEvery = lb.healthCheckFrequencyMs;
      if (nextUpdate <= now) {
        try {
          await lb.update();
          if (updateFailing) this.#logger.info({ service: this.name }, 'discovery recovered');
          updateFailing = false;
        } catch (err) {
          // Logged once per streak of failures; the last good set stays in use.
          if (!updateFailing) {
            const error = toPingoraError(err);
            this.#logger.warn({ service: this.name, err: error.message }, 'discovery failed');
          }
          updateFailing = true;
        }
        nextUpdate = updateEvery === undefined ? Number.POSITIVE_INFINITY : now + updateEvery;
      }
      this.#markReady();
      if (nextCheck <= now && !shutdown.aborted) {
        await lb.runHealthCheck();
        nextCheck = checkEvery === undefined ? Number.POSITIVE_INFINITY : now + checkEvery;
      }
      this.#markChecked();
      const wake = Math.min(nextUpdate, nextCheck);
      if (wake === Number.POSITIVE_INFINITY) return;
      try {
        await sleep(Math.max(0, wake - performance.now()), undefined, { signal: shutdown });
      } catch {
        return; // aborted
      }
      now = performance.now();
    }
  }
}

export interface LoadBalancerServiceOptions {
  /**
   * When the service reports ready: `'discovery'` (default) once the backend
   * set is known, `'health-check'` once the first health check round is done.
   */
  readyAfter?: 'discovery' | 'health-check';
}

/** `service` as a core Service that is ready once the first discovery (or health check round) finished. */
export function readyService(
  service: LoadBalancerService,
  options: LoadBalancerServiceOptions = {},
): Service {
  const gate = options.readyAfter === 'health-check' ? 'checked' : 'ready';
  return {
    name: service.name,
    async start(ctx: ServiceContext): Promise<void> {
      const running = service.start(ctx.shutdown);
      await Promise.race([service[gate](), running]);
      ctx.ready();
      await running;
    },
  };
}
