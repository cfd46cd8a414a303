/**
 * The health of one backend (Pingora's Health): healthy per active checks,
 * enabled per discovery or the operator, a counter of consecutive opposite
 * observations that flips health at a threshold, and a passive "down until"
 * set when the proxy reports repeated failures.
 */
import type { PingoraError } from '@pingora-ts/error';

export class HealthState {
  /** Per active health checks (and the initial assumption). */
  healthy: boolean;
  /** False stops traffic regardless of health (discovery or setEnable). */
  enabled = true;
  /** Consecutive observations opposite to `healthy`; reaching the threshold flips it. */
  consecutive = 0;
  /** Consecutive failures reported by the proxy. */
  passiveFailures = 0;
  /** performance.now() until which passive health keeps the backend out; 0 when not down. */
  passiveDownUntil = 0;
  /** The error of the most recent failed check or reported failure. */
  lastError: PingoraError | undefined;
  /** performance.now() of the last change of readiness, for operators. */
  changedAt = performance.now();

  constructor(healthy: boolean) {
    this.healthy = healthy;
  }

  /**
   * Records one active check result; returns true when it flips `healthy`.
   * Same-as-current results reset the counter: only consecutive ones count.
   */
  observe(success: boolean, threshold: number): boolean {
    if (this.healthy === success) {
      this.consecutive = 0;
      return false;
    }
    this.consecutive++;
    if (this.consecutive < Math.max(1, threshold)) return false;
    this.healthy = success;
    this.consecutive = 0;
    this.changedAt = performance.now();
    return true;
  }

  /** Whether traffic may go here, ignoring passive health's expiry bookkeeping. */
  readyIgnoringPassive(): boolean {
    return this.healthy && this.enabled;
  }
}

/** A copy of a backend's health for callers (the live state stays private). */
export interface HealthSnapshot {
  readonly addr: string;
  /** Healthy per active checks. */
  readonly healthy: boolean;
  readonly enabled: boolean;
  /** Passive health has it out until `passiveDownForMs` elapses. */
  readonly passiveDown: boolean;
  readonly passiveDownForMs: number;
  /** healthy && enabled && !passiveDown: whether select() may return it. */
  readonly ready: boolean;
  /** Consecutive check results opposite to `healthy` so far. */
  readonly consecutive: number;
  readonly lastError: PingoraError | undefined;
  /** How long ago readiness last changed. */
  readonly sinceMs: number;
}
