/**
 * Random selection (Pingora's Weighted<Random>): the first candidate is drawn
 * in proportion to weight, fallbacks uniformly. The key is ignored. The
 * source of randomness is injectable so tests can be deterministic.
 */
import type { Backend } from '../backend.ts';
import type {
  BackendIter,
  BackendSelection,
  BackendSelectionBuilder,
} from './backend-selection.ts';
import { FastRandom } from './fast-random.ts';
import { WeightedTable } from './weighted-table.ts';

/** Returns a float in [0, 1), like Math.random (injected in tests for repeatable draws). */
export type RandomSource = () => number;

export class Random implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly table: WeightedTable;
  /** An injected source, or undefined for the built-in allocation-free one. */
  readonly source: RandomSource | undefined;
  readonly #rng = new FastRandom();

  constructor(backends: readonly Backend[], random?: RandomSource) {
    this.backends = backends;
    this.table = new WeightedTable(backends);
    this.source = random;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    const source = this.source;
    return source === undefined ? this.#rng.below(n) : Math.floor(source() * n);
  }

  static build(backends: readonly Backend[]): Random {
    return new Random(backends);
  }

  /** A builder drawing from `random` instead of Math.random. */
  static withSource(random: RandomSource): BackendSelectionBuilder<Random> {
    return { build: (backends) => new Random(backends, random) };
  }

  iter(): RandomIter {
    return new RandomIter(this);
  }
}

export class RandomIter implements BackendIter {
  readonly #selection: Random;
  #first = true;

  constructor(selection: Random) {
    this.#selection = selection;
  }

  reset(): void {
    this.#first = true;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    if (this.#first) {
      this.#first = false;
      return s.backends[s.table.pick(s.below(s.table.total))];
    }
    return s.backends[s.below(n)];
  }
}
