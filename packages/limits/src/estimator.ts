/**
 * Estimator: a count-min sketch (mirrors pingora-limits' Estimator). `hashes`
 * rows of `slots` counters in one Float64Array (exact integers up to 2^53, so
 * no overflow in practice, where Pingora's isize may wrap); a key's counter in
 * row i is chosen by double hashing its one seeded 32-bit hash. The estimate
 * is the smallest of the key's counters: never below the true count, above it
 * only by what colliding keys added.
 */
import { fmix32, hashKey, type Key, randomSeed } from './key-hash.ts';

/** Most counters (hashes x slots) one estimator may hold: 128 MiB. */
export const MAX_COUNTERS = 1 << 24;

export interface EstimatorOptions {
  /** Hash seed; random by default. Fix it only for reproducible tests. */
  seed?: number;
  /**
   * Counters shared by the server threads of a process: an Int32Array over a
   * SharedArrayBuffer of at least `Estimator.sharedLength(hashes, slots)`
   * cells, updated with Atomics (counts then wrap at 2^31). Every thread
   * hashes with the seed the first one stored there.
   */
  shared?: Int32Array;
}

function checkCount(what: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`Estimator ${what} must be an integer from 1 to ${max}, got ${String(n)}`);
  }
}

function checkValue(value: number): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`Estimator value must be a finite number, got ${String(value)}`);
  }
}

export class Estimator {
  readonly hashes: number;
  readonly slots: number;
  readonly #counters: Float64Array;
  readonly #seed: number;
  /** Shared counters (cell 0: the seed), or undefined for this thread's own. */
  readonly #shared: Int32Array | undefined;

  /** Int32 cells `options.shared` needs for these sizes. */
  static sharedLength(hashes: number, slots: number): number {
    return 1 + hashes * slots;
  }

  /**
   * `hashes` rows of `slots` counters. More slots lower the overestimate from
   * collisions (about total/slots), more hashes lower the chance of hitting
   * it. Throws RangeError unless both are positive integers and
   * hashes x slots <= MAX_COUNTERS (a leaf package: bad sizes are
   * programming errors).
   */
  constructor(hashes: number, slots: number, options: EstimatorOptions = {}) {
    checkCount('hashes', hashes, 64);
    checkCount('slots', slots, MAX_COUNTERS);
    if (hashes * slots > MAX_COUNTERS) {
      throw new RangeError(`Estimator of ${hashes} x ${slots} counters exceeds ${MAX_COUNTERS}`);
    }
    this.hashes = hashes;
    this.slots = slots;
    const shared = options.shared;
    if (shared === undefined) {
      this.#counters = new Float64Array(hashes * slots);
      this.#seed = (options.seed ?? randomSeed()) >>> 0;
      this.#shared = undefined;
      return;
    }
    if (!(shared.buffer instanceof SharedArrayBuffer)) {
      throw new RangeError('a shared Estimator needs an Int32Array over a SharedArrayBuffer');
    }
    const need = Estimator.sharedLength(hashes, slots);
    if (shared.length < need) {
      throw new RangeError(
        `a shared Estimator of ${hashes} x ${slots} needs ${need} cells, got ${shared.length}`,
      );
    }
    this.#counters = new Float64Array(0);
    this.#shared = shared;
    // The first thread's seed wins (never 0, which marks "not set").
    Atomics.compareExchange(shared, 0, 0, (options.seed ?? randomSeed()) | 1);
    this.#seed = Atomics.load(shared, 0) >>> 0;
  }

  /** The seeded hash this estimator files `key` under; guards keep it instead of the key. */
  keyHash(key: Key): number {
    return hashKey(key, this.#seed);
  }

  /** Adds `value` to `key` and returns its new estimate. Throws RangeError on a non-finite value. */
  incr(key: Key, value: number): number {
    checkValue(value);
    return this.incrHash(hashKey(key, this.#seed), value);
  }

  /** Subtracts `value` from `key` (undoes an incr). */
  decr(key: Key, value: number): void {
    checkValue(value);
    this.incrHash(hashKey(key, this.#seed), -value);
  }

  /** The estimated count of `key`. */
  get(key: Key): number {
    return this.getHash(hashKey(key, this.#seed));
  }

  /** incr() by a hash from keyHash(). */
  incrHash(hash: number, value: number): number {
    if (this.#shared !== undefined) return this.#sharedIncr(hash, value);
    const slots = this.slots;
    const counters = this.#counters;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, base = 0; row < this.hashes; row++, base += slots) {
      const i = base + (((hash + Math.imul(row, step)) & 0x7fffffff) % slots);
      const v = counters[i]! + value;
      counters[i] = v;
      if (v < min) min = v;
    }
    return min;
  }

  /** get() by a hash from keyHash(). */
  getHash(hash: number): number {
    if (this.#shared !== undefined) return this.#sharedGet(hash);
    const slots = this.slots;
    const counters = this.#counters;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, base = 0; row < this.hashes; row++, base += slots) {
      const v = counters[base + (((hash + Math.imul(row, step)) & 0x7fffffff) % slots)]!;
      if (v < min) min = v;
    }
    return min;
  }

  /** Sets every counter back to zero. */
  reset(): void {
    const shared = this.#shared;
    if (shared === undefined) this.#counters.fill(0);
    else for (let i = 1; i < shared.length; i++) Atomics.store(shared, i, 0);
  }

  #sharedIncr(hash: number, value: number): number {
    const shared = this.#shared as Int32Array;
    const slots = this.slots;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, base = 1; row < this.hashes; row++, base += slots) {
      const i = base + (((hash + Math.imul(row, step)) & 0x7fffffff) % slots);
      const v = Atomics.add(shared, i, value) + value;
      if (v < min) min = v;
    }
    return min;
  }

  #sharedGet(hash: number): number {
    const shared = this.#shared as Int32Array;
    const slots = this.slots;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, base = 1; row < this.hashes; row++, base += slots) {
      const v = Atomics.load(shared, base + (((hash + Math.imul(row, step)) & 0x7fffffff) % slots));
      if (v < min) min = v;
    }
    return min;
  }
}
