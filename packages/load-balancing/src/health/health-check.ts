/**
 * The health-check interface (Pingora's HealthCheck): check one backend,
 * resolving when healthy and rejecting with a PingoraError when not; how
 * many consecutive results flip health each way; and an optional hook for
 * health changes.
 */
import type { Backend } from '../backend.ts';

export interface HealthCheck {
  /** Resolves if `backend` is healthy; rejects with a PingoraError saying why if not. */
  check(backend: Backend): Promise<void>;
  /** Consecutive results needed to flip: successes to become healthy, failures to become unhealthy. */
  healthThreshold(success: boolean): number;
  /** Longest a check may take; the runner abandons (and fails) a check after this. */
  readonly timeoutMs?: number;
  /** Called once per health change (after it is logged and published). */
  healthStatusChange?(backend: Backend, healthy: boolean): void | Promise<void>;
}

/** Thresholds shared by the built-in checks. */
export interface ThresholdOptions {
  /** Consecutive successes to become healthy again. Default 1. */
  consecutiveSuccess?: number;
  /** Consecutive failures to become unhealthy. Default 1. */
  consecutiveFailure?: number;
}
