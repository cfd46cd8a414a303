/**
 * Inflight: approximate counts of work in progress per key (mirrors
 * pingora-limits' Inflight). incr() adds to a count-min sketch and returns a
 * guard that takes the amount back exactly once, when released or disposed
 * (`using guard = inflight.incr(key)`). Unlike Rust's Drop, nothing releases a
 * forgotten guard: release it in a finally block or with `using`.
 */
import { Estimator } from './estimator.ts';
import type { Key } from './key-hash.ts';

export interface InflightOptions {
  /** Rows of the sketch (default 4). */
  hashes?: number;
  /** Counters per row (default 8192). */
  slots?: number;
  /** Hash seed (default random). */
  seed?: number;
}

/** Holds one key's share of an Inflight count until released. */
export class InflightGuard implements Disposable {
  /** The key's estimated count right after this guard's increment. */
  readonly count: number;
  readonly #estimator: Estimator;
  readonly #hash: number;
  readonly #value: number;
  #released = false;

  constructor(estimator: Estimator, hash: number, value: number, count: number) {
    this.#estimator = estimator;
    this.#hash = hash;
    this.#value = value;
    this.count = count;
  }

  /** True once release() (or dispose) has run. */
  get released(): boolean {
    return this.#released;
  }

  /** The key's current estimated count. */
  get(): number {
    return this.#estimator.getHash(this.#hash);
  }

  /** Takes this guard's amount back; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#estimator.incrHash(this.#hash, -this.#value);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

export class Inflight {
  readonly #estimator: Estimator;

  constructor(options: InflightOptions = {}) {
    this.#estimator = new Estimator(
      options.hashes ?? 4,
      options.slots ?? 8192,
      options.seed === undefined ? {} : { seed: options.seed },
    );
  }

  /**
   * Adds `value` (default 1) to `key` and returns the guard that takes it
   * back; `guard.count` is the key's estimate including this increment.
   * Returning the guard itself (not Pingora's (guard, count) pair) lets
   * `using guard = inflight.incr(key)` release it at the end of the scope.
   */
  incr(key: Key, value = 1): InflightGuard {
    if (!Number.isFinite(value)) {
      throw new RangeError(`Inflight value must be a finite number, got ${String(value)}`);
    }
    const hash = this.#estimator.keyHash(key);
    const count = this.#estimator.incrHash(hash, value);
    return new InflightGuard(this.#estimator, hash, value, count);
  }

  /** The estimated in-flight count of `key`. */
  get(key: Key): number {
    return this.#estimator.get(key);
  }
}
