/**
 * Backends (mirrors Pingora's Backends): the current backend set as found by
 * a ServiceDiscovery, the health of each backend, active health checks and
 * passive health. LoadBalancer owns one and rebuilds its selection whenever
 * an update changes the set.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { systemClock, type TimerClock } from '@pingora-ts/timeout';
import { Backend, compareBackends, MAX_BACKEND_WEIGHT } from './backend.ts';
import { type HealthChangeReason, publishHealthChange } from './diagnostics.ts';
import type { Discovered, ServiceDiscovery } from './discovery/service-discovery.ts';
import type { HealthCheck } from './health/health-check.ts';
import { type HealthSnapshot, HealthState } from './health/health-state.ts';
import { runChecks } from './health/run-checks.ts';
import { type LbLogger, silentLogger } from './logger.ts';

/** The most backends one set may hold. */
export const MAX_BACKENDS = 100_000;

export interface PassiveHealthOptions {
  /** Consecutive failures reported by the proxy that take a backend out. */
  consecutiveFailures: number;
  /** How long it stays out before it is offered again, in milliseconds. */
  cooldownMs: number;
}

export interface BackendsOptions {
  healthCheck?: HealthCheck;
  logger?: LbLogger;
  /** Off unless set: reportFailure() only records the error. */
  passiveHealth?: PassiveHealthOptions;
  /** Whether a newly discovered backend counts as healthy before its first check. Default true (as Pingora). */
  startHealthy?: boolean;
  /** Most checks in flight at once when checking in parallel. Default 64. */
  maxParallelChecks?: number;
  /** Time limit of a check whose HealthCheck has no timeoutMs. Default 10000. */
  checkTimeoutMs?: number;
  /** Where passive-health hold times are read (default the process clock; a ManualClock in tests). */
  clock?: TimerClock;
}

export class Backends {
  readonly discovery: ServiceDiscovery;
  #healthCheck: HealthCheck | undefined;
  readonly #logger: LbLogger;
  readonly #passive: PassiveHealthOptions | undefined;
  readonly #startHealthy: boolean;
  readonly #maxParallelChecks: number;
  readonly #checkTimeoutMs: number;
  readonly #clock: TimerClock;
  #list: readonly Backend[] = Object.freeze([]);
  #states = new Map<string, HealthState>();
  #checking: Promise<void> | undefined;

  constructor(discovery: ServiceDiscovery, options: BackendsOptions = {}) {
    this.discovery = discovery;
    this.#healthCheck = options.healthCheck;
    this.#logger = options.logger ?? silentLogger;
    this.#passive = options.passiveHealth && validPassive(options.passiveHealth);
    this.#startHealthy = options.startHealthy ?? true;
    this.#maxParallelChecks = positiveInt(options.maxParallelChecks ?? 64, 'maxParallelChecks');
    this.#checkTimeoutMs = positiveInt(options.checkTimeoutMs ?? 10_000, 'checkTimeoutMs');
    this.#clock = options.clock ?? systemClock;
  }

  setHealthCheck(check: HealthCheck | undefined): void {
    this.#healthCheck = check;
  }

  /** The current backends, sorted, frozen. */
  get(): readonly Backend[] {
    return this.#list;
  }

  /**
   * Asks discovery for the backends. If the set changed, `onChange` gets the
   * new sorted list first (LoadBalancer builds its selection there; if it
   * throws, nothing changes), then the set and health table are swapped in.
   * Returns whether the set changed.
   */
  async update(onChange?: (backends: readonly Backend[]) => void): Promise<boolean> {
    const found = await this.discovery.discover();
    return this.apply(found, onChange);
  }

  /** Applies a discovery result (see update). */
  apply(found: Discovered, onChange?: (backends: readonly Backend[]) => void): boolean {
    const next = normalize(found.backends);
    const enablement = normalizeEnablement(found.enablement);
    const changed = !sameSet(this.#list, next);
    if (changed) {
      onChange?.(next);
      const states = new Map<string, HealthState>();
      for (const b of next) {
        states.set(b.addr, this.#states.get(b.addr) ?? new HealthState(this.#startHealthy));
      }
      for (const b of this.#list) {
        if (b.healthOwner === this) {
          b.healthOwner = undefined;
          b.healthState = undefined;
        }
      }
      for (const b of next) {
        b.healthOwner = this;
        b.healthState = states.get(b.addr);
      }
      this.#list = next;
      this.#states = states;
    }
    if (enablement !== undefined) {
      for (const [addr, enabled] of enablement) this.#enable(addr, enabled);
    }
    return changed;
  }

  /**
   * Whether select() may return `backend`: healthy, enabled and not held out
   * by passive health. A backend this set does not know is ready only when
   * no health check is configured (as in Pingora).
   */
  ready(backend: Backend): boolean {
    const h = backend.healthOwner === this ? backend.healthState : this.#states.get(backend.addr);
    if (h === undefined) return this.#healthCheck === undefined;
    if (!h.healthy || !h.enabled) return false;
    return h.passiveDownUntil === 0 || this.#passiveExpired(backend, h);
  }

  /** Stops (false) or resumes (true) traffic to a backend without touching its health. */
  setEnable(backend: Backend | string, enabled: boolean): void {
    this.#enable(typeof backend === 'string' ? canonicalAddr(backend) : backend.addr, enabled);
  }

  /** The health of the backend at `addr`, or undefined if it is not in the set. */
  health(backend: Backend | string): HealthSnapshot | undefined {
    const addr = typeof backend === 'string' ? canonicalAddr(backend) : backend.addr;
    const h = this.#states.get(addr);
    if (h === undefined) return undefined;
    const now = this.#clock.now();
    const passiveDown = h.passiveDownUntil !== 0 && now < h.passiveDownUntil;
    return {
      addr,
      healthy: h.healthy,
      enabled: h.enabled,
      passiveDown,
      passiveDownForMs: passiveDown ? h.passiveDownUntil - now : 0,
      ready: h.healthy && h.enabled && !passiveDown,
      consecutive: h.consecutive,
      lastError: h.lastError,
      sinceMs: now - h.changedAt,
    };
  }

  /** The health of every backend in the set, in set order (for status pages and metrics). */
  healthAll(): HealthSnapshot[] {
    const out: HealthSnapshot[] = [];
    for (const b of this.#list) {
      const snapshot = this.health(b);
      if (snapshot !== undefined) out.push(snapshot);
    }
    return out;
  }

  /**
   * Checks every backend once with the health check, if one is set, and
   * applies the results. `parallel`: false checks one at a time, true up to
   * maxParallelChecks at once, a number at most that many at once. A call
   * while a round is running joins that round.
   */
  runHealthCheck(parallel: boolean | number = false): Promise<void> {
    // A round already running is joined: overlapping rounds would count each result twice.
    this.#checking ??= this.#checkRound(parallel).finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #checkRound(parallel: boolean | number): Promise<void> {
    const check = this.#healthCheck;
    if (check === undefined) return;
    const list = this.#list;
    const concurrency =
      parallel === false ? 1 : parallel === true ? this.#maxParallelChecks : parallel;
    await runChecks(
      check,
      list,
      positiveInt(concurrency, 'parallel health checks'),
      check.timeoutMs ?? this.#checkTimeoutMs,
      (backend, error) => this.#observe(check, backend, error),
    );
  }

  /**
   * The proxy reports a failed request to `backend`. With passiveHealth set,
   * enough consecutive reports take it out for the cool-down. Returns true
   * when this report took it out.
   */
  reportFailure(backend: Backend, error?: unknown): boolean {
    const h = this.#states.get(backend.addr);
    if (h === undefined) return false;
    if (error !== undefined) h.lastError = asError(error, backend);
    const passive = this.#passive;
    if (passive === undefined || h.passiveDownUntil !== 0) return false;
    h.passiveFailures++;
    if (h.passiveFailures < passive.consecutiveFailures) return false;
    h.passiveFailures = 0;
    h.passiveDownUntil = this.#clock.now() + passive.cooldownMs;
    if (h.readyIgnoringPassive()) this.#changed(backend, h, false, 'passive');
    return true;
  }

  /** The proxy reports a successful request: consecutive passive failures start over. */
  reportSuccess(backend: Backend): void {
    const h = this.#states.get(backend.addr);
    if (h !== undefined) h.passiveFailures = 0;
  }

  #observe(check: HealthCheck, backend: Backend, error: PingoraError | undefined): void {
    // The backend may have left the set while it was being checked.
    const h = this.#states.get(backend.addr);
    if (h === undefined) return;
    const success = error === undefined;
    if (error !== undefined) h.lastError = error;
    this.#settlePassive(backend, h);
    const wasReady = h.readyIgnoringPassive() && h.passiveDownUntil === 0;
    if (!h.observe(success, check.healthThreshold(success))) return;
    const ready = h.readyIgnoringPassive() && h.passiveDownUntil === 0;
    if (wasReady !== ready) this.#changed(backend, h, ready, 'active-check');
    else this.#logHealth(backend, success, error);
    if (check.healthStatusChange !== undefined) {
      try {
        Promise.resolve(check.healthStatusChange(backend, success)).catch((err: unknown) =>
          this.#logger.warn({ backend: backend.addr, err }, 'healthStatusChange callback failed'),
        );
      } catch (err) {
        this.#logger.warn({ backend: backend.addr, err }, 'healthStatusChange callback failed');
      }
    }
  }

  #passiveExpired(backend: Backend, h: HealthState): boolean {
    if (this.#clock.now() < h.passiveDownUntil) return false;
    h.passiveDownUntil = 0;
    h.passiveFailures = 0;
    this.#changed(backend, h, true, 'passive-cooldown');
    return true;
  }

  /** Ends an expired passive hold before another change is judged (publishing it if that readmits). */
  #settlePassive(backend: Backend, h: HealthState): void {
    if (h.passiveDownUntil === 0 || this.#clock.now() < h.passiveDownUntil) return;
    h.passiveDownUntil = 0;
    h.passiveFailures = 0;
    if (h.readyIgnoringPassive()) this.#changed(backend, h, true, 'passive-cooldown');
  }

  #enable(addr: string, enabled: boolean): void {
    const h = this.#states.get(addr);
    if (h === undefined || h.enabled === enabled) return;
    const backend = this.#list.find((b) => b.addr === addr);
    if (backend !== undefined) this.#settlePassive(backend, h);
    const wasReady = h.readyIgnoringPassive() && h.passiveDownUntil === 0;
    h.enabled = enabled;
    const ready = h.readyIgnoringPassive() && h.passiveDownUntil === 0;
    if (backend !== undefined && wasReady !== ready) this.#changed(backend, h, ready, 'enablement');
  }

  /** Logs and publishes one readiness change. */
  #changed(backend: Backend, h: HealthState, ready: boolean, reason: HealthChangeReason): void {
    h.changedAt = this.#clock.now();
    const error = ready ? undefined : h.lastError;
    const context = { backend: backend.addr, reason, ...(error ? { err: error.message } : {}) };
    if (ready) this.#logger.info(context, `backend ${backend.addr} is ready again (${reason})`);
    else this.#logger.warn(context, `backend ${backend.addr} is out of rotation (${reason})`);
    publishHealthChange({ backend, ready, reason, error });
  }

  // Health flipped but readiness did not (the backend is disabled or passively down).
  #logHealth(backend: Backend, healthy: boolean, error: PingoraError | undefined): void {
    const context = { backend: backend.addr, ...(error ? { err: error.message } : {}) };
    if (healthy) this.#logger.info(context, `backend ${backend.addr} becomes healthy`);
    else this.#logger.warn(context, `backend ${backend.addr} becomes unhealthy`);
  }
}

function normalize(found: Iterable<Backend>): readonly Backend[] {
  const byAddr = new Map<string, Backend>();
  let count = 0;
  for (const b of found) {
    if (!Backend.is(b)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        'discovery returned something that is not a Backend',
      );
    }
    if (++count > MAX_BACKENDS) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `discovery returned more than ${MAX_BACKENDS} backends`,
      );
    }
    const seen = byAddr.get(b.addr);
    // The same address twice (e.g. two SRV names for one host) serves the sum of the weights.
    byAddr.set(
      b.addr,
      seen === undefined
        ? b
        : new Backend(seen.socketAddr, {
            weight: Math.min(MAX_BACKEND_WEIGHT, seen.weight + b.weight),
            ext: seen.ext,
          }),
    );
  }
  return Object.freeze([...byAddr.values()].sort(compareBackends));
}

function normalizeEnablement(
  enablement: ReadonlyMap<string, boolean> | undefined,
): Map<string, boolean> | undefined {
  if (enablement === undefined || enablement.size === 0) return undefined;
  const out = new Map<string, boolean>();
  for (const [addr, enabled] of enablement) out.set(canonicalAddr(addr), enabled === true);
  return out;
}

function sameSet(a: readonly Backend[], b: readonly Backend[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.order !== b[i]!.order) return false;
  return true;
}

function canonicalAddr(addr: string): string {
  return new Backend(addr).addr;
}

function asError(error: unknown, backend: Backend): PingoraError {
  return PingoraError.is(error)
    ? error
    : PingoraError.because(ErrorType.UnknownError, `request to ${backend.addr} failed`, error);
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `${what} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

function validPassive(options: PassiveHealthOptions): PassiveHealthOptions {
  positiveInt(options.consecutiveFailures, 'passiveHealth.consecutiveFailures');
  positiveInt(options.cooldownMs, 'passiveHealth.cooldownMs');
  return { consecutiveFailures: options.consecutiveFailures, cooldownMs: options.cooldownMs };
}
