/**
 * Rate: per-key event rates over a fixed interval (mirrors pingora-limits'
 * Rate). Two estimators take turns: the current one ("red") counts events,
 * the other ("blue") holds the last full interval. The first call at least
 * one interval after the last flip clears blue and swaps them; after two
 * idle intervals both are stale and the rate is 0. The clock is injectable
 * so tests can step time. With `shared` memory the windows live there instead
 * (SharedWindows) and every server thread of the process counts in them.
 */
import { Estimator } from './estimator.ts';
import { type Key, randomSeed } from './key-hash.ts';
import { SharedWindows } from './shared-rate.ts';

/** What a custom rate function gets (Pingora's RateComponents). */
export interface RateComponents {
  /** Events of the key in the last full interval. */
  prevSamples: number;
  /** Events of the key so far in the current interval. */
  currSamples: number;
  /** The interval in milliseconds. */
  intervalMs: number;
  /** How much of the current interval has passed, 0 <= f < 1. */
  currentIntervalFraction: number;
}

/**
 * A smoother estimate than rate(): the previous interval weighted by the part
 * of it still inside a sliding window, plus the current interval so far, per
 * second (Pingora's PROPORTIONAL_RATE_ESTIMATE_CALC_FN).
 */
export function proportionalRate(c: RateComponents): number {
  const weighted = c.prevSamples * (1 - c.currentIntervalFraction) + c.currSamples;
  return (weighted * 1000) / c.intervalMs;
}

export interface RateOptions {
  /** Rows of each estimator (default 4). */
  hashes?: number;
  /** Counters per row (default 1024; fewer do for short intervals with few keys). */
  slots?: number;
  /** The clock in milliseconds (default performance.now, which is monotonic). */
  now?: () => number;
  /** Hash seed for both estimators (default random). */
  seed?: number;
  /**
   * Counters shared by the server threads of a process: an Int32Array over a
   * SharedArrayBuffer of at least `Rate.sharedLength(hashes, slots)` cells.
   * Intervals are then aligned to the wall clock (`now` must be one too).
   */
  shared?: Int32Array;
}

export class Rate {
  readonly intervalMs: number;
  #current: Estimator;
  #previous: Estimator;
  readonly #now: () => number;
  #lastReset: number;
  readonly #shared: SharedWindows | undefined;

  /** Int32 cells `options.shared` needs for these sizes (defaults 4 x 1024). */
  static sharedLength(hashes = 4, slots = 1024): number {
    return SharedWindows.length(hashes, slots);
  }

  /** Throws RangeError unless `intervalMs` is a positive finite number of milliseconds. */
  constructor(intervalMs: number, options: RateOptions = {}) {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`Rate interval must be a positive number of ms, got ${intervalMs}`);
    }
    const hashes = options.hashes ?? 4;
    const slots = options.slots ?? 1024;
    const seed = options.seed === undefined ? {} : { seed: options.seed };
    this.intervalMs = intervalMs;
    this.#current = new Estimator(hashes, slots, seed);
    this.#previous = new Estimator(hashes, slots, seed);
    this.#now = options.now ?? (() => performance.now());
    this.#lastReset = this.#now();
    this.#shared =
      options.shared === undefined
        ? undefined
        : new SharedWindows(
            options.shared,
            intervalMs,
            hashes,
            slots,
            options.seed ?? randomSeed(),
            options.now ?? wallClock,
          );
  }

  /** Records `events` for `key`; returns the key's events so far in the current interval. */
  observe(key: Key, events: number): number {
    const shared = this.#shared;
    if (shared !== undefined) return shared.add(shared.interval().n, key, events);
    this.#maybeFlip();
    return this.#current.incr(key, events);
  }

  /** Events per second of `key` in the last full interval (0 when it is older than that). */
  rate(key: Key): number {
    const shared = this.#shared;
    if (shared !== undefined) {
      return (shared.get(shared.interval().n - 1, key) * 1000) / this.intervalMs;
    }
    const past = this.#maybeFlip();
    if (past >= this.intervalMs * 2) return 0;
    return (this.#previous.get(key) * 1000) / this.intervalMs;
  }

  /** A rate computed by `fn` from the previous and current intervals' counts (see proportionalRate). */
  rateWith<T>(key: Key, fn: (c: RateComponents) => T): T {
    const interval = this.intervalMs;
    const shared = this.#shared;
    if (shared !== undefined) {
      const { n, into } = shared.interval();
      return fn({
        prevSamples: shared.get(n - 1, key),
        currSamples: shared.get(n, key),
        intervalMs: interval,
        currentIntervalFraction: into / interval,
      });
    }
    const past = this.#maybeFlip();
    let prevSamples = 0;
    let currSamples = 0;
    if (past < interval) {
      prevSamples = this.#previous.get(key);
      currSamples = this.#current.get(key);
    } else if (past < interval * 2) {
      prevSamples = this.#previous.get(key); // just flipped: the current interval is empty
    }
    return fn({
      prevSamples,
      currSamples,
      intervalMs: interval,
      currentIntervalFraction: (past % interval) / interval,
    });
  }

  /** Flips the windows when an interval has passed; returns the time since the last flip before this call. */
  #maybeFlip(): number {
    const now = this.#now();
    const past = now - this.#lastReset;
    if (past < this.intervalMs) return past;
    // the previous window is cleared and becomes the current one
    const stale = this.#previous;
    stale.reset();
    this.#previous = this.#current;
    this.#current = stale;
    if (past >= this.intervalMs * 2) this.#previous.reset(); // idle for 2 intervals: all stale
    this.#lastReset = now;
    return past;
  }
}

/** Milliseconds since the epoch, monotonic within a thread: the clock every thread agrees on. */
function wallClock(): number {
  return performance.timeOrigin + performance.now();
}
