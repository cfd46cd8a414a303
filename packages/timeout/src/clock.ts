/**
 * TimerClock: where a timer wheel reads the time and arms its one driver
 * timer. `systemClock` is the real one (monotonic `performance.now()`,
 * unref'd `setTimeout`); tests pass a ManualClock instead, so timeout
 * behaviour is checked without sleeping.
 */

/** An opaque handle from `setTimer`. */
export type ClockTimer = unknown;

export interface TimerClock {
  /** Monotonic milliseconds (any origin). */
  now(): number;
  /** Calls `callback` once after `ms`; must not keep the process alive. */
  setTimer(callback: () => void, ms: number): ClockTimer;
  /** Cancels a timer from `setTimer` (a fired or cancelled one is ignored). */
  clearTimer(timer: ClockTimer): void;
}

/** setTimeout's largest delay; a longer wait fires early and the wheel re-arms. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The process's clock: `performance.now()` and unref'd timers. */
export const systemClock: TimerClock = Object.freeze({
  now: () => performance.now(),
  setTimer(callback: () => void, ms: number): ClockTimer {
    const timer = setTimeout(callback, Math.min(MAX_DELAY_MS, Math.max(1, ms)));
    timer.unref();
    return timer;
  },
  clearTimer(timer: ClockTimer): void {
    clearTimeout(timer as NodeJS.Timeout);
  },
});
