/**
 * A manual AcmeClock: real time plus a skew the test moves. Timers never
 * fire by themselves; `fireNext()` jumps to the earliest one and runs it.
 */
import type { AcmeClock } from '../../src/index.ts';

interface Timer {
  readonly at: number;
  readonly fn: () => void;
}

export class FakeClock implements AcmeClock {
  skew = 0;
  readonly #timers = new Set<Timer>();

  now(): number {
    return Date.now() + this.skew;
  }

  set(fn: () => void, ms: number): unknown {
    const t = { at: this.now() + ms, fn };
    this.#timers.add(t);
    return t;
  }

  clear(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  /** When the earliest timer is due (epoch ms on this clock), if any. */
  next(): number | undefined {
    let first: Timer | undefined;
    for (const t of this.#timers) if (first === undefined || t.at < first.at) first = t;
    return first?.at;
  }

  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time to the earliest timer and runs it. */
  fireNext(): void {
    let first: Timer | undefined;
    for (const t of this.#timers) if (first === undefined || t.at < first.at) first = t;
    if (first === undefined) throw new Error('no timer pending');
    this.#timers.delete(first);
    this.skew += Math.max(0, first.at - this.now());
    first.fn();
  }
}
