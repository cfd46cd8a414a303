/**
 * TinyLfu: the admission filter of TinyUFO (Pingora's TinyLfu and Estimator).
 * A count-min sketch of 8-bit saturating counters in one Uint8Array, sized by
 * Pingora's formula for the expected number of items: e x items slots, log2
 * items rows. Every increment advances a window; after 8 x items of them
 * every counter is halved, so old popularity fades and the counters never
 * stay saturated. Rows are picked by double hashing one 32-bit hash, and a
 * row's slot by multiply-shift (hash x slots / 2^32) rather than a modulo,
 * which V8 does in floating point for uint32 values (puts ran ~2x faster).
 */
import { fmix32 } from './key-hash.ts';

/** Most counters one sketch may hold (128 MiB); a larger cache should use `compact`. */
export const MAX_SKETCH_COUNTERS = 1 << 27;

/** Pingora's count-min shape for `items`: [slots, hashes]. */
export function sketchShape(items: number): [slots: number, hashes: number] {
  if (items < 2) return [16, 2];
  return [Math.max(Math.ceil(Math.E * items), 16), Math.max(Math.ceil(Math.log2(items)), 2)];
}

/**
 * Maps a uint32 to 0..slots-1 by its high bits. With slots < 2^27 the product
 * stays within a double's precision margin: the result is never `slots`.
 */
function slotOf(h: number, slots: number): number {
  return Math.floor((h * slots) / 4294967296);
}

export class TinyLfu {
  readonly slots: number;
  readonly hashes: number;
  readonly windowLimit: number;
  readonly #counters: Uint8Array;
  #window = 0;

  /**
   * A sketch for a cache of `cacheSize` items; `compact` sizes it for
   * cacheSize / 100 (Pingora's compact mode: far less memory, coarser counts).
   */
  constructor(cacheSize: number, compact = false) {
    const [slots, hashes] = sketchShape(compact ? Math.floor(cacheSize / 100) : cacheSize);
    if (slots * hashes > MAX_SKETCH_COUNTERS) {
      throw new RangeError(
        `TinyUfo estimatedSize ${cacheSize} needs ${slots * hashes} sketch counters, over ${MAX_SKETCH_COUNTERS}; use compact`,
      );
    }
    this.slots = slots;
    this.hashes = hashes;
    this.windowLimit = cacheSize * 8;
    this.#counters = new Uint8Array(slots * hashes);
  }

  /** Counts one more sighting of `hash` and returns its new estimate (0 to 255). */
  incr(hash: number): number {
    if (this.#window++ >= this.windowLimit) {
      this.#window = 0;
      this.age();
    }
    const counters = this.#counters;
    const slots = this.slots;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = 255;
    for (let row = 0, base = 0; row < this.hashes; row++, base += slots) {
      const i = base + slotOf((hash + Math.imul(row, step)) >>> 0, slots);
      let v = counters[i]!;
      if (v < 255) counters[i] = ++v;
      if (v < min) min = v;
    }
    return min;
  }

  /** The estimated count of `hash`. */
  get(hash: number): number {
    const counters = this.#counters;
    const slots = this.slots;
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    let min = 255;
    for (let row = 0, base = 0; row < this.hashes; row++, base += slots) {
      const v = counters[base + slotOf((hash + Math.imul(row, step)) >>> 0, slots)]!;
      if (v < min) min = v;
    }
    return min;
  }

  /** Halves every counter (TinyLFU's reset). */
  age(): void {
    const counters = this.#counters;
    for (let i = 0; i < counters.length; i++) counters[i] = counters[i]! >>> 1;
  }
}
