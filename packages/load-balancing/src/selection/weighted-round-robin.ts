/**
 * Smooth weighted round robin: like RoundRobin, but each cycle interleaves
 * the backends by weight (weights 5,1,1 give a a b a c a a, not a a a a a b c),
 * so a heavy backend never takes a burst. The cycle is computed once per
 * build (weights divided by their GCD), so a pick is one table read.
 */

import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection } from './backend-selection.ts';
import { FLAT_TABLE_LIMIT } from './weighted-table.ts';

const COUNTER_WRAP = 2 ** 52;

export class WeightedRoundRobin implements BackendSelection {
  readonly backends: readonly Backend[];
  /** One cycle of positions, interleaved by weight. */
  readonly cycle: Uint32Array;
  #counter = 0;

  constructor(backends: readonly Backend[]) {
    this.backends = backends;
    this.cycle = smoothCycle(backends);
  }

  static build(backends: readonly Backend[]): WeightedRoundRobin {
    return new WeightedRoundRobin(backends);
  }

  tick(): number {
    const c = this.#counter;
    this.#counter = c + 1 === COUNTER_WRAP ? 0 : c + 1;
    return c;
  }

  iter(): WeightedRoundRobinIter {
    return new WeightedRoundRobinIter(this);
  }
}

/**
 * The first candidate comes from the cycle; fallbacks walk the plain backend
 * list from there, so every backend is offered within n candidates even when
 * a heavy backend that fills most of the cycle is down.
 */
export class WeightedRoundRobinIter implements BackendIter {
  readonly #selection: WeightedRoundRobin;
  #at = -1;

  constructor(selection: WeightedRoundRobin) {
    this.#selection = selection;
  }

  reset(): void {
    this.#at = -1;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const len = s.cycle.length;
    if (len === 0) return undefined;
    const n = s.backends.length;
    this.#at = this.#at < 0 ? s.cycle[s.tick() % len]! : this.#at + 1 === n ? 0 : this.#at + 1;
    return s.backends[this.#at];
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Entry k of backend i is due at virtual time (k + phase_i) / w_i; the cycle
 * lists entries by due time (ties by position), merged with a binary heap in
 * O(total * log n). Phases differ per backend (golden-ratio steps in (0, 1])
 * so light backends do not all land at the same spot between heavy ones.
 */
function smoothCycle(backends: readonly Backend[]): Uint32Array {
  const n = backends.length;
  if (n === 0) return new Uint32Array(0);
  let g = 0;
  for (const b of backends) g = gcd(b.weight, g);
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = backends[i]!.weight / g;
    total += weights[i]!;
  }
  if (total > FLAT_TABLE_LIMIT) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `weighted round robin: total weight ${total} (after dividing by the weights' GCD) exceeds ${FLAT_TABLE_LIMIT}; lower the weights`,
    );
  }
  const taken = new Float64Array(n);
  const phase = new Float64Array(n);
  for (let i = 0; i < n; i++) phase[i] = 1 - ((i * 0.6180339887498949) % 1);
  const due = (i: number) => (taken[i]! + phase[i]!) / weights[i]!;
  const before = (a: number, b: number) => {
    const da = due(a);
    const db = due(b);
    return da < db || (da === db && a < b);
  };
  const heap = new Uint32Array(n);
  for (let i = 0; i < n; i++) heap[i] = i;
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, i, n, before);
  const cycle = new Uint32Array(total);
  for (let k = 0; k < total; k++) {
    const top = heap[0]!;
    cycle[k] = top;
    taken[top] = taken[top]! + 1;
    siftDown(heap, 0, n, before);
  }
  return cycle;
}

function siftDown(
  heap: Uint32Array,
  from: number,
  size: number,
  before: (a: number, b: number) => boolean,
): void {
  let i = from;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const child = r < size && before(heap[r]!, heap[l]!) ? r : l;
    if (!before(heap[child]!, heap[i]!)) return;
    const tmp = heap[i]!;
    heap[i] = heap[child]!;
    heap[child] = tmp;
    i = child;
  }
}
