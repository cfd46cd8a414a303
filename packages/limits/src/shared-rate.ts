/**
 * The shared-memory side of Rate: its two windows of count-min counters in
 * an Int32Array the caller provides (a SharedArrayBuffer view every server
 * thread of a process sees), updated with Atomics, so one key's events
 * count once over all threads. Windows are aligned to the wall clock (the
 * threads have no common performance.now() origin); the first thread to
 * enter a new interval clears the stale window while the others wait for it.
 */
import { fmix32, hashKey, type Key } from './key-hash.ts';

/** Header: [seed, tag of window 0, tag of window 1, spare]. A tag is the interval number, -1 while clearing. */
const HEADER = 4;
const SEED = 0;
const CLEARING = -1;

export class SharedWindows {
  readonly hashes: number;
  readonly slots: number;
  readonly intervalMs: number;
  readonly #cells: Int32Array;
  readonly #seed: number;
  readonly #now: () => number;

  /** Int32 cells a shared Rate of this size needs. */
  static length(hashes: number, slots: number): number {
    return HEADER + 2 * hashes * slots;
  }

  constructor(
    cells: Int32Array,
    intervalMs: number,
    hashes: number,
    slots: number,
    seed: number,
    now: () => number,
  ) {
    if (!(cells.buffer instanceof SharedArrayBuffer)) {
      throw new RangeError('a shared Rate needs an Int32Array over a SharedArrayBuffer');
    }
    const need = SharedWindows.length(hashes, slots);
    if (cells.length < need) {
      throw new RangeError(
        `a shared Rate of ${hashes} x ${slots} needs ${need} cells, got ${cells.length}`,
      );
    }
    this.#cells = cells;
    this.intervalMs = intervalMs;
    this.hashes = hashes;
    this.slots = slots;
    this.#now = now;
    // The first thread's seed wins: every thread must hash keys alike.
    Atomics.compareExchange(cells, SEED, 0, seed | 1);
    this.#seed = Atomics.load(cells, SEED) >>> 0;
  }

  /** The current interval number and the time into it (ms). */
  interval(): { n: number; into: number } {
    const t = this.#now();
    const n = Math.floor(t / this.intervalMs);
    return { n, into: t - n * this.intervalMs };
  }

  /** Adds `events` to `key` in interval `n` (opened if needed); returns its count there. */
  add(n: number, key: Key, events: number): number {
    const base = this.#open(n);
    const hash = hashKey(key, this.#seed);
    const cells = this.#cells;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, off = base; row < this.hashes; row++, off += this.slots) {
      const i = off + (((hash + Math.imul(row, step)) & 0x7fffffff) % this.slots);
      const v = Atomics.add(cells, i, events) + events;
      if (v < min) min = v;
    }
    return min;
  }

  /** `key`'s count in interval `n`, 0 when that window holds another interval. */
  get(n: number, key: Key): number {
    const w = n & 1;
    if (Atomics.load(this.#cells, 1 + w) !== (n | 0)) return 0;
    const base = HEADER + w * this.hashes * this.slots;
    const hash = hashKey(key, this.#seed);
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = Number.POSITIVE_INFINITY;
    for (let row = 0, off = base; row < this.hashes; row++, off += this.slots) {
      const v = Atomics.load(
        this.#cells,
        off + (((hash + Math.imul(row, step)) & 0x7fffffff) % this.slots),
      );
      if (v < min) min = v;
    }
    return min;
  }

  /** Makes window n&1 hold interval n, clearing it if it held an older one; returns its base. */
  #open(n: number): number {
    const cells = this.#cells;
    const w = n & 1;
    const tagAt = 1 + w;
    const base = HEADER + w * this.hashes * this.slots;
    const want = n | 0;
    for (let spin = 0; spin < 1_000_000; spin++) {
      const tag = Atomics.load(cells, tagAt);
      if (tag === want) return base;
      if (tag !== CLEARING && Atomics.compareExchange(cells, tagAt, tag, CLEARING) === tag) {
        cells.fill(0, base, base + this.hashes * this.slots);
        Atomics.store(cells, tagAt, want);
        return base;
      }
    }
    // Never reached in practice (clearing takes microseconds); count anyway rather than hang.
    return base;
  }
}
