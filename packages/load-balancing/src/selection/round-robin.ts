/**
 * Round robin (Pingora's Weighted<RoundRobin>): one counter per selection
 * walks the weighted table, so a backend of weight w gets w consecutive
 * turns per cycle; fallback candidates keep advancing the same counter over
 * the plain backend list. The key is ignored.
 */
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection } from './backend-selection.ts';
import { WeightedTable } from './weighted-table.ts';

// The counter restarts here rather than losing integer precision.
const COUNTER_WRAP = 2 ** 52;

export class RoundRobin implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly #table: WeightedTable;
  #counter = 0;

  constructor(backends: readonly Backend[]) {
    this.backends = backends;
    this.#table = new WeightedTable(backends);
  }

  static build(backends: readonly Backend[]): RoundRobin {
    return new RoundRobin(backends);
  }

  /** The next value of the shared counter. */
  tick(): number {
    const c = this.#counter;
    this.#counter = c + 1 === COUNTER_WRAP ? 0 : c + 1;
    return c;
  }

  /** Position of the first candidate for counter value `c`. */
  first(c: number): number {
    return this.#table.pick(c % this.#table.total);
  }

  iter(): RoundRobinIter {
    return new RoundRobinIter(this);
  }
}

export class RoundRobinIter implements BackendIter {
  readonly #selection: RoundRobin;
  #first = true;

  constructor(selection: RoundRobin) {
    this.#selection = selection;
  }

  reset(): void {
    this.#first = true;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    const c = s.tick();
    if (this.#first) {
      this.#first = false;
      return s.backends[s.first(c)];
    }
    return s.backends[c % n];
  }
}
