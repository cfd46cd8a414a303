/**
 * Every HTTP session deadline (header, body, idle, write) on one shared
 * TimerWheel from @pingora-ts/timeout (Pingora's pingora-timeout): arming is
 * a few field writes and a clock read, re-arming later costs no timer work,
 * and one driver timer serves them all. Tests swap in a wheel on a
 * ManualClock with `useDeadlineWheel` to check timeouts without sleeping.
 */
import { sharedWheel, type TimerWheel, type WheelEntry } from '@pingora-ts/timeout';

/** Deadlines fire up to this late (the shared wheel's tick); keep timeouts well above it. */
export const TICK_MS = 10;

/** Something with at most one armed deadline (fields owned by the wheel; start both at 0). */
export type DeadlineOwner = WheelEntry;

let wheel: TimerWheel = sharedWheel();

/** Arms `owner`'s deadline `ms` from now (replacing any armed one); ms <= 0 or Infinity disarms. */
export function armDeadline(owner: DeadlineOwner, ms: number): void {
  wheel.arm(owner, ms);
}

/** Disarms `owner`'s deadline. */
export function disarmDeadline(owner: DeadlineOwner): void {
  owner.deadline = 0;
}

/** Disarms `owner`'s deadline and unfiles it now: call it when the owner goes away for good. */
export function releaseDeadline(owner: DeadlineOwner): void {
  wheel.release(owner);
}

/**
 * Runs every session deadline armed from now on `next` (e.g. a wheel on a
 * ManualClock in a test); returns the function that restores the previous wheel.
 */
export function useDeadlineWheel(next: TimerWheel): () => void {
  const previous = wheel;
  wheel = next;
  return () => {
    wheel = previous;
  };
}
