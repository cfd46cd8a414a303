/**
 * A min segment tree over backend positions keyed by load (in-flight count
 * per unit of weight), read live from the tracker's counts. It follows the
 * tracker's change log, so bringing it up to date costs O(log n) per
 * acquire or release since the last query, and finding the least loaded
 * backend in a range is O(log n) instead of a scan of every backend.
 */
import type { InFlightTracker } from './in-flight.ts';

export class LoadTree {
  readonly #tracker: InFlightTracker;
  readonly #slots: Uint32Array;
  readonly #inverseWeights: Float64Array;
  /** Leaves start here; node i covers the positions of its leaves. */
  readonly #size: number;
  /** tree[node] = position of the least loaded backend under node (leftmost on ties), -1 if none. */
  readonly #tree: Int32Array;
  /** positionOf[slot] = position of the backend counted in slot, -1 if not in this set. */
  readonly #positionOf: Int32Array;
  #seenVersion: number;

  constructor(tracker: InFlightTracker, slots: Uint32Array, inverseWeights: Float64Array) {
    this.#tracker = tracker;
    this.#slots = slots;
    this.#inverseWeights = inverseWeights;
    const n = slots.length;
    let size = 1;
    while (size < n) size *= 2;
    this.#size = size;
    this.#tree = new Int32Array(2 * size).fill(-1);
    let maxSlot = 0;
    for (let i = 0; i < n; i++) maxSlot = Math.max(maxSlot, slots[i]!);
    this.#positionOf = new Int32Array(maxSlot + 1).fill(-1);
    for (let i = 0; i < n; i++) this.#positionOf[slots[i]!] = i;
    this.#seenVersion = tracker.version;
    this.#rebuild();
  }

  load(position: number): number {
    return this.#tracker.counts[this.#slots[position]!]! * this.#inverseWeights[position]!;
  }

  /** The better of two positions: lower load, then lower position; -1 is "none". */
  better(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    const la = this.load(a);
    const lb = this.load(b);
    return la < lb || (la === lb && a < b) ? a : b;
  }

  /** The least loaded position in [from, to), or -1 for an empty range. */
  least(from: number, to: number): number {
    this.#sync();
    const tree = this.#tree;
    let best = -1;
    let lo = from + this.#size;
    let hi = to + this.#size;
    while (lo < hi) {
      if (lo & 1) best = this.better(best, tree[lo++]!);
      if (hi & 1) best = this.better(best, tree[--hi]!);
      lo >>= 1;
      hi >>= 1;
    }
    return best;
  }

  /** Applies the counts that changed since the last query. */
  #sync(): void {
    const version = this.#tracker.version;
    const behind = version - this.#seenVersion;
    if (behind === 0) return;
    this.#seenVersion = version;
    const log = this.#tracker.changes;
    if (behind > log.length) {
      this.#rebuild();
      return;
    }
    const mask = log.length - 1;
    const positionOf = this.#positionOf;
    for (let v = version - behind; v < version; v++) {
      const slot = log[v & mask]!;
      const position = slot < positionOf.length ? positionOf[slot]! : -1;
      if (position >= 0) this.#update(position);
    }
  }

  #update(position: number): void {
    const tree = this.#tree;
    let node = (position + this.#size) >> 1;
    while (node >= 1) {
      tree[node] = this.better(tree[2 * node]!, tree[2 * node + 1]!);
      node >>= 1;
    }
  }

  #rebuild(): void {
    const tree = this.#tree;
    const n = this.#slots.length;
    for (let i = 0; i < n; i++) tree[this.#size + i] = i;
    for (let node = this.#size - 1; node >= 1; node--) {
      tree[node] = this.better(tree[2 * node]!, tree[2 * node + 1]!);
    }
  }
}
