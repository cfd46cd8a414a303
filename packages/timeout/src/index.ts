/**
 * @pingora-ts/timeout: a coarse shared timer wheel for a proxy's many
 * timeouts (Pingora's pingora-timeout), on an injectable clock so timeout
 * behaviour is tested on a ManualClock instead of with sleeps.
 */
export { type ClockTimer, systemClock, type TimerClock } from './clock.ts';
export { ManualClock } from './manual-clock.ts';
export {
  sharedWheel,
  TimerWheel,
  type TimerWheelOptions,
  type WheelEntry,
  WheelTimer,
} from './timer-wheel.ts';
