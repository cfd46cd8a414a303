/**
 * ErrorLogLimiter: keeps one failing upstream from flooding the error log.
 * The first occurrence of an error (by its one-line message) in a window is
 * logged; identical ones within the window are only counted, and the count
 * is logged with the next occurrence after the window or by a later call's
 * sweep. Bounded (oldest keys evicted), timer-free, with an injectable clock.
 */

export interface ErrorLogLimiterOptions {
  /** Window in which identical errors are logged once. Default 10 s; 0 disables limiting. */
  readonly intervalMs?: number;
  /** Distinct errors tracked at once; the oldest is dropped (its count reported) past it. Default 1024. */
  readonly maxKeys?: number;
  /** Clock in ms (tests inject a fake one). Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  /** When the current window started. */
  since: number;
  /** Occurrences in the current window that were not logged. */
  suppressed: number;
}

/** What to do with one occurrence: log it (with how many identical ones went unlogged before), or not. */
export const SUPPRESSED = -1;

/** A summary of identical errors that were counted and not logged. */
export interface SuppressedReport {
  readonly message: string;
  readonly suppressed: number;
  /** The window they fell in, ms. */
  readonly windowMs: number;
}

export class ErrorLogLimiter {
  readonly intervalMs: number;
  readonly maxKeys: number;
  readonly #now: () => number;
  /** In window-start order (an entry is re-inserted when its window restarts): the oldest first. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: ErrorLogLimiterOptions = {}) {
    this.intervalMs = Math.max(0, options.intervalMs ?? 10_000);
    this.maxKeys = Math.max(1, options.maxKeys ?? 1024);
    this.#now = options.now ?? Date.now;
  }

  /** Distinct errors tracked now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * One occurrence of `message`: SUPPRESSED when an identical one was logged
   * in this window (it is counted), else the number of identical ones counted
   * since the last logged one (0 for a first or a rare error): log it then.
   */
  admit(message: string): number {
    if (this.intervalMs === 0) return 0;
    const now = this.#now();
    const entries = this.#entries;
    const entry = entries.get(message);
    if (entry !== undefined && now - entry.since < this.intervalMs) {
      entry.suppressed++;
      return SUPPRESSED;
    }
    const repeats = entry?.suppressed ?? 0;
    if (entry !== undefined) entries.delete(message);
    entries.set(message, { since: now, suppressed: 0 });
    return repeats;
  }

  /**
   * Reports (and forgets) errors whose window ended with unlogged repeats,
   * oldest first, and those evicted past `maxKeys`. Stops at the first
   * window still open, so each call costs little.
   */
  sweep(report: (r: SuppressedReport) => void): void {
    const now = this.#now();
    const entries = this.#entries;
    for (const [message, entry] of entries) {
      const over = entries.size > this.maxKeys;
      if (!over && now - entry.since < this.intervalMs) break;
      entries.delete(message);
      if (entry.suppressed > 0) {
        report({ message, suppressed: entry.suppressed, windowMs: this.intervalMs });
      }
    }
  }
}
