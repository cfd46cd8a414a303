/**
 * Maps a number in [0, total weight) to a backend position, so each backend
 * owns a share of the range equal to its weight. Small totals use a flat
 * lookup table (one typed-array read per pick); large ones a cumulative
 * array and binary search, so memory stays bounded whatever the weights.
 */
import type { Backend } from '../backend.ts';

/** Totals up to this many entries get a flat table (4 bytes per entry). */
export const FLAT_TABLE_LIMIT = 1 << 20;

export class WeightedTable {
  /** Sum of the weights. */
  readonly total: number;
  readonly #flat: Uint32Array | undefined;
  /** ends[i] = sum of weights[0..i]. */
  readonly #ends: Float64Array;

  constructor(backends: readonly Backend[]) {
    const ends = new Float64Array(backends.length);
    let total = 0;
    for (let i = 0; i < backends.length; i++) {
      total += backends[i]!.weight;
      ends[i] = total;
    }
    this.total = total;
    this.#ends = ends;
    if (total <= FLAT_TABLE_LIMIT) {
      const flat = new Uint32Array(total);
      let at = 0;
      for (let i = 0; i < backends.length; i++) {
        flat.fill(i, at, at + backends[i]!.weight);
        at += backends[i]!.weight;
      }
      this.#flat = flat;
    } else {
      this.#flat = undefined;
    }
  }

  /** The position owning `slot`, an integer in [0, total). */
  pick(slot: number): number {
    const flat = this.#flat;
    if (flat !== undefined) return flat[slot]!;
    const ends = this.#ends;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! > slot) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
