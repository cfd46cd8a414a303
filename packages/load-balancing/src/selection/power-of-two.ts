/**
 * Power of two choices (beyond Pingora): draw two backends at random (in
 * proportion to weight) and offer the one with fewer in-flight requests per
 * unit of weight, then the other, then the rest in order. Nearly as even as
 * least-connections at O(1) per pick.
 */
import type { Backend } from '../backend.ts';
import type {
  BackendIter,
  BackendSelection,
  BackendSelectionBuilder,
  SelectionContext,
} from './backend-selection.ts';
import { FastRandom } from './fast-random.ts';
import { InFlightTracker } from './in-flight.ts';
import type { RandomSource } from './random.ts';
import { WeightedTable } from './weighted-table.ts';

// Redraws when both draws land on the same backend; bounded so a set that is
// nearly all one heavy backend cannot loop long.
const MAX_REDRAWS = 4;

export class PowerOfTwoChoices implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly tracker: InFlightTracker;
  /** tracker.counts[slots[i]] is the in-flight count of backends[i]. */
  readonly slots: Uint32Array;
  readonly inverseWeights: Float64Array;
  readonly table: WeightedTable;
  /** An injected source, or undefined for the built-in allocation-free one. */
  readonly source: RandomSource | undefined;
  readonly #rng = new FastRandom();

  constructor(backends: readonly Backend[], context?: SelectionContext, random?: RandomSource) {
    const tracker = context?.inFlight ?? new InFlightTracker();
    this.backends = backends;
    this.tracker = tracker;
    this.slots = Uint32Array.from(backends, (b) => tracker.slotFor(b.addr));
    this.inverseWeights = Float64Array.from(backends, (b) => 1 / b.weight);
    this.table = new WeightedTable(backends);
    this.source = random;
  }

  static build(backends: readonly Backend[], context?: SelectionContext): PowerOfTwoChoices {
    return new PowerOfTwoChoices(backends, context);
  }

  /** A builder drawing from `random` instead of Math.random. */
  static withSource(random: RandomSource): BackendSelectionBuilder<PowerOfTwoChoices> {
    return { build: (backends, context) => new PowerOfTwoChoices(backends, context, random) };
  }

  draw(): number {
    const source = this.source;
    const total = this.table.total;
    return this.table.pick(
      source === undefined ? this.#rng.below(total) : Math.floor(source() * total),
    );
  }

  load(i: number): number {
    return this.tracker.counts[this.slots[i]!]! * this.inverseWeights[i]!;
  }

  iter(): PowerOfTwoIter {
    return new PowerOfTwoIter(this);
  }
}

export class PowerOfTwoIter implements BackendIter {
  readonly #selection: PowerOfTwoChoices;
  #step = 0;
  #a = 0;
  #b = 0;

  constructor(selection: PowerOfTwoChoices) {
    this.#selection = selection;
  }

  reset(): void {
    this.#step = 0;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    const step = this.#step++;
    if (step === 0) {
      let a = s.draw();
      let b = s.draw();
      for (let i = 0; i < MAX_REDRAWS && a === b && n > 1; i++) b = s.draw();
      if (a === b) b = a + 1 === n ? 0 : a + 1;
      if (s.load(b) < s.load(a)) {
        const t = a;
        a = b;
        b = t;
      }
      this.#a = a;
      this.#b = b;
      return s.backends[a];
    }
    if (step === 1) return n > 1 ? s.backends[this.#b] : undefined;
    // Then every other backend once, walking on from the second choice.
    if (step >= n) return undefined;
    const k = step - 1;
    const gapToA = (this.#a - this.#b + n) % n;
    return s.backends[(this.#b + k + (k >= gapToA ? 1 : 0)) % n];
  }
}
