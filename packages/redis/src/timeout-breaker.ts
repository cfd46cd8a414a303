/**
 * TimeoutBreaker: a slow Redis must not cost every request a full command
 * timeout. After `threshold` command timeouts in a row the breaker opens and
 * commands fail at once for `cooldownMs`; then one probe command goes
 * through (the others still fail fast): an answer closes the breaker, a
 * timeout opens it again. Any answer in time resets the count.
 */

export type Admission = 'send' | 'probe' | 'fail';

export class TimeoutBreaker {
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly #now: () => number;
  #timeouts = 0;
  #openUntil = 0;
  #open = false;
  #probing = false;

  constructor(threshold: number, cooldownMs: number, now: () => number = Date.now) {
    this.threshold = threshold;
    this.cooldownMs = cooldownMs;
    this.#now = now;
  }

  /** Whether commands fail fast now (open and cooling down, or a probe is out). */
  get failing(): boolean {
    return this.#open && (this.#probing || this.#now() < this.#openUntil);
  }

  get open(): boolean {
    return this.#open;
  }

  /** May a command be sent? 'probe' for the one that tests an open breaker. */
  admit(): Admission {
    if (!this.#open) return 'send';
    if (this.#probing || this.#now() < this.#openUntil) return 'fail';
    this.#probing = true;
    return 'probe';
  }

  /** A reply came in time; true when this closed an open breaker. */
  answered(): boolean {
    this.#timeouts = 0;
    this.#probing = false;
    if (!this.#open) return false;
    this.#open = false;
    return true;
  }

  /** A command timed out; true when this opened the breaker. */
  timedOut(): boolean {
    this.#probing = false;
    this.#timeouts++;
    if (this.#open) {
      this.#openUntil = this.#now() + this.cooldownMs;
      return false;
    }
    if (this.#timeouts < this.threshold) return false;
    this.#open = true;
    this.#openUntil = this.#now() + this.cooldownMs;
    return true;
  }

  /** A probe failed otherwise (connection, server error): the next command probes again. */
  probeFailed(): void {
    this.#probing = false;
  }
}
