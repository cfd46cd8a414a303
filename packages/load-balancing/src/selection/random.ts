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
import { WeightedTable } from './weighted-table.ts';

/** Returns a float in [0, 1), like Math.random. */
export type RandomSource = () => number;

export class Random implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly table: WeightedTable;
  readonly random: RandomSource;

  constructor(backends: readonly Backend[], random: RandomSource = Math.random) {
    this.backends = backends;
    this.table = new WeightedTable(backends);
    this.random = random;
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
  private readonly selection: Random;
  private first = true;

  constructor(selection: Random) {
    this.selection = selection;
  }

  reset(): void {
    this.first = true;
  }

  next(): Backend | undefined {
    const s = this.selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    if (this.first) {
      this.first = false;
      return s.backends[s.table.pick(Math.floor(s.random() * s.table.total))];
    }
    return s.backends[Math.floor(s.random() * n)];
  }
}
