/**
 * The clock renewals run on: real by default, injectable so tests can move
 * time (the certificate's lifetime and the retry backoff) without sleeping.
 * Timers longer than setTimeout's limit are chained.
 */

export interface AcmeClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; returns a handle for `clear`. Must not keep the process alive. */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** setTimeout's longest delay (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

export const realClock: AcmeClock = {
  now: () => Date.now(),
  set(fn, ms) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    t.unref();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
