/**
 * ManualClock: a TimerClock whose time moves only when told (`advance`), for
 * tests of anything that takes a clock. Timers fire in deadline order, each
 * with the clock set to its own deadline, as they would on the real clock.
 */
import type { ClockTimer, TimerClock } from './clock.ts';

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** A bound on timers fired by one `advance` (a timer that re-arms at 0 ms forever is a bug). */
const MAX_FIRED_PER_ADVANCE = 1_000_000;

export class ManualClock implements TimerClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<ManualTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): ClockTimer {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.add(timer);
    return timer;
  }

  clearTimer(timer: ClockTimer): void {
    this.#timers.delete(timer as ManualTimer);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance needs ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (let fired = 0; ; fired++) {
      if (fired === MAX_FIRED_PER_ADVANCE) {
        throw new RangeError(`more than ${MAX_FIRED_PER_ADVANCE} timers fired in one advance`);
      }
      const next = this.#earliest();
      if (next === undefined || next.at > target) break;
      this.#timers.delete(next);
      if (next.at > this.#now) this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }

  #earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
