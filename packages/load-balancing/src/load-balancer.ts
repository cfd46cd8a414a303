/**
 * LoadBalancer (mirrors Pingora's LoadBalancer): discovery, health and a
 * selection algorithm together. select() runs per request: it walks the
 * selection's candidates for a key, skipping unhealthy or rejected ones,
 * reusing one iterator and one set, so a pick allocates nothing. update()
 * rebuilds the selection when discovery finds a different backend set.
 */

import type { Service } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Backend } from './backend.ts';
import { Backends, type BackendsOptions } from './backends.ts';
import {
  LoadBalancerService,
  type LoadBalancerServiceOptions,
  readyService,
} from './background.ts';
import type { ServiceDiscovery } from './discovery/service-discovery.ts';
import { type BackendSpec, StaticDiscovery } from './discovery/static-discovery.ts';
import type { HealthCheck } from './health/health-check.ts';
import { type LbLogger, silentLogger } from './logger.ts';
import type {
  BackendIter,
  BackendSelection,
  BackendSelectionBuilder,
  SelectionContext,
  SelectionKey,
} from './selection/backend-selection.ts';
import { type InFlightGuard, InFlightTracker } from './selection/in-flight.ts';

/** Decides whether to use a candidate, given whether the load balancer thinks it is ready. */
export type AcceptBackend = (backend: Backend, ready: boolean) => boolean;

export interface LoadBalancerOptions extends BackendsOptions {
  /** How often the background service re-runs discovery, ms; unset: the discovery's own interval, else once. */
  updateFrequencyMs?: number;
  /** How often the background service runs health checks, ms; unset: once. */
  healthCheckFrequencyMs?: number;
  /** Check backends in parallel (true: up to maxParallelChecks; a number: at most that many). Default false. */
  parallelHealthCheck?: boolean | number;
}

/** Durations of the last successful update(), in milliseconds. */
export interface UpdateTimings {
  readonly discoveryMs: number;
  readonly buildMs: number;
}

/** Default bound on candidates examined per pick (Pingora's examples use 256). */
export const DEFAULT_MAX_ITERATIONS = 256;

export class LoadBalancer<S extends BackendSelection = BackendSelection> {
  updateFrequencyMs: number | undefined;
  healthCheckFrequencyMs: number | undefined;
  parallelHealthCheck: boolean | number;
  readonly #builder: BackendSelectionBuilder<S>;
  readonly #backendSet: Backends;
  readonly #context: SelectionContext;
  readonly #logger: LbLogger;
  #current: S;
  #timings: UpdateTimings | undefined;
  #updating: Promise<void> | undefined;
  // Hot-path scratch, reused by every non-nested select().
  #cachedIter: BackendIter | undefined;
  #selecting = false;
  readonly #seen = new Set<string>();

  constructor(
    builder: BackendSelectionBuilder<S>,
    discovery: ServiceDiscovery | Backends,
    options: LoadBalancerOptions = {},
  ) {
    this.#builder = builder;
    this.#backendSet = discovery instanceof Backends ? discovery : new Backends(discovery, options);
    this.#context = { inFlight: InFlightTracker.forThisThread() };
    this.#logger = options.logger ?? silentLogger;
    this.updateFrequencyMs = options.updateFrequencyMs;
    this.healthCheckFrequencyMs = options.healthCheckFrequencyMs;
    this.parallelHealthCheck = options.parallelHealthCheck ?? false;
    this.#current = builder.build(this.#backendSet.get(), this.#context);
  }

  /** A load balancer over a static list, ready to select from at once. */
  static fromAddrs<S extends BackendSelection>(
    addrs: Iterable<BackendSpec>,
    builder: BackendSelectionBuilder<S>,
    options: LoadBalancerOptions = {},
  ): LoadBalancer<S> {
    const discovery = new StaticDiscovery(addrs);
    const lb = new LoadBalancer(builder, discovery, options);
    lb.#backendSet.apply({ backends: discovery.get() }, (list) => lb.#rebuild(list));
    return lb;
  }

  /**
   * Runs discovery and, if the set changed, rebuilds the selection. Rejects
   * (keeping everything) on failure. A call while one is running joins it, so
   * an older discovery result can never land after a newer one.
   */
  update(): Promise<void> {
    this.#updating ??= this.#runUpdate().finally(() => {
      this.#updating = undefined;
    });
    return this.#updating;
  }

  async #runUpdate(): Promise<void> {
    const start = performance.now();
    let buildMs = 0;
    await this.#backendSet.update((list) => {
      const buildStart = performance.now();
      this.#rebuild(list);
      buildMs = performance.now() - buildStart;
    });
    this.#timings = { discoveryMs: performance.now() - start - buildMs, buildMs };
  }

  /**
   * The first ready backend among the selection's candidates for `key`,
   * examining at most `maxIterations` candidates. Round robin, random,
   * least-connections and power of two ignore the key, so it may be left out;
   * the hashing selections (FNV, Ketama) hash it (default: the empty key).
   */
  select(key: SelectionKey = '', maxIterations = DEFAULT_MAX_ITERATIONS): Backend | undefined {
    return this.selectWith(key, maxIterations, undefined);
  }

  /**
   * Like select(), but `accept` decides instead of readiness alone (Pingora's
   * select_with): e.g. skip a backend this request already failed on.
   */
  selectWith(
    key: SelectionKey,
    maxIterations: number,
    accept: AcceptBackend | undefined,
  ): Backend | undefined {
    const nested = this.#selecting;
    let iter: BackendIter;
    const cached = this.#cachedIter;
    if (!nested && cached !== undefined) {
      cached.reset!(key);
      iter = cached;
    } else {
      iter = this.#current.iter(key);
      if (!nested && iter.reset !== undefined) this.#cachedIter = iter;
    }
    // A select() from inside accept() gets its own set.
    const seen = nested ? new Set<string>() : this.#seen;
    this.#selecting = true;
    try {
      let first: Backend | undefined;
      for (let steps = 0; steps < maxIterations; steps++) {
        const b = iter.next();
        if (b === undefined) return undefined;
        if (first === undefined) first = b;
        else {
          // Duplicates are skipped; the set is only touched past the first candidate.
          if (seen.size === 0) seen.add(first.addr);
          if (seen.has(b.addr)) continue;
          seen.add(b.addr);
        }
        const ready = this.#backendSet.ready(b);
        if (accept === undefined ? ready : accept(b, ready)) return b;
      }
      return undefined;
    } finally {
      if (!nested) {
        this.#selecting = false;
        if (seen.size !== 0) seen.clear();
      }
    }
  }

  /** Counts a request on `backend` (least-connections, power of two) until the guard is released. */
  acquire(backend: Backend): InFlightGuard {
    return this.#context.inFlight.acquire(backend);
  }

  /** Requests in flight on `addr` (as `Backend.addr`). */
  inFlight(addr: string): number {
    return this.#context.inFlight.count(addr);
  }

  /** Passive health: the proxy's request to `backend` failed. See Backends.reportFailure. */
  reportFailure(backend: Backend, error?: unknown): boolean {
    return this.#backendSet.reportFailure(backend, error);
  }

  reportSuccess(backend: Backend): void {
    this.#backendSet.reportSuccess(backend);
  }

  /** Checks every backend once (see Backends.runHealthCheck). */
  runHealthCheck(parallel: boolean | number = this.parallelHealthCheck): Promise<void> {
    return this.#backendSet.runHealthCheck(parallel);
  }

  setHealthCheck(check: HealthCheck | undefined): void {
    this.#backendSet.setHealthCheck(check);
  }

  /** The backend set, its health and enablement. */
  backends(): Backends {
    return this.#backendSet;
  }

  /** The selection built from the current set. */
  selection(): S {
    return this.#current;
  }

  lastUpdateTiming(): UpdateTimings | undefined {
    return this.#timings;
  }

  /** Discovery's interval when updateFrequencyMs is unset. */
  effectiveUpdateFrequencyMs(): number | undefined {
    return this.updateFrequencyMs ?? this.#backendSet.discovery.refreshIntervalMs;
  }

  /**
   * A background service (core's BackgroundService shape) that runs discovery
   * and health checks at their frequencies until its shutdown signal fires.
   */
  backgroundService(name = 'load balancer'): LoadBalancerService {
    return new LoadBalancerService(name, this as LoadBalancer, this.#logger);
  }

  /**
   * The background service as a core Service for `server.addService()`. It
   * reports ready after the first discovery, so services added with
   * `dependsOn` it (the proxy) start only once there are backends to pick;
   * with `readyAfter: 'health-check'` only after the first health check
   * round too, so the first requests never go to a backend that is down.
   */
  service(name = 'load balancer', options: LoadBalancerServiceOptions = {}): Service {
    return readyService(this.backgroundService(name), options);
  }

  #rebuild(list: readonly Backend[]): void {
    const selection = this.#builder.build(list, this.#context);
    if (
      selection === null ||
      typeof selection !== 'object' ||
      typeof selection.iter !== 'function'
    ) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        'selection builder returned no selection',
      );
    }
    // Picks already handed out keep their Backend and guard; only new picks see the new set.
    this.#current = selection;
    this.#cachedIter = undefined;
    this.#context.inFlight.retain(new Set(list.map((b) => b.addr)));
  }
}
