/**
 * Least connections (beyond Pingora): the first candidate is the backend with
 * the fewest in-flight requests per unit of weight; each fallback is the
 * least loaded of those not yet offered. Ties rotate, so an idle set is
 * shared round-robin. The first candidate comes from a LoadTree in
 * O(log n); fallbacks (rare: the best one was not ready) scan, O(n).
 */
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection, SelectionContext } from './backend-selection.ts';
import { InFlightTracker } from './in-flight.ts';
import { LoadTree } from './load-tree.ts';

/** Up to this many backends a plain scan beats the tree's bookkeeping. */
const SCAN_LIMIT = 32;

export class LeastConnections implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly tracker: InFlightTracker;
  /** tracker.counts[slots[i]] is the in-flight count of backends[i]. */
  readonly slots: Uint32Array;
  readonly inverseWeights: Float64Array;
  /** Only for sets larger than SCAN_LIMIT, on one thread (shared counts are scanned). */
  readonly tree: LoadTree | undefined;
  #rotation = 0;

  constructor(backends: readonly Backend[], context?: SelectionContext) {
    const tracker = context?.inFlight ?? new InFlightTracker();
    this.backends = backends;
    this.tracker = tracker;
    this.slots = Uint32Array.from(backends, (b) => tracker.slotFor(b.addr));
    this.inverseWeights = Float64Array.from(backends, (b) => 1 / b.weight);
    // Shared counts change on other threads without a trace in this thread's change log.
    this.tree =
      backends.length > SCAN_LIMIT && !tracker.shared
        ? new LoadTree(tracker, this.slots, this.inverseWeights)
        : undefined;
  }

  static build(backends: readonly Backend[], context?: SelectionContext): LeastConnections {
    return new LeastConnections(backends, context);
  }

  /** Where the next pick starts looking, so equal loads are shared in turn. */
  nextRotation(): number {
    const n = this.backends.length;
    const r = this.#rotation;
    this.#rotation = r + 1 >= n ? 0 : r + 1;
    return r;
  }

  /** The least loaded position, the first from `start` (wrapping) on ties. */
  leastFrom(start: number): number {
    const tree = this.tree;
    if (tree === undefined) return this.#scanFrom(start);
    const after = tree.least(start, this.backends.length);
    if (start === 0) return after;
    const before = tree.least(0, start);
    return before >= 0 && tree.load(before) < tree.load(after) ? before : after;
  }

  #scanFrom(start: number): number {
    const { slots, inverseWeights } = this;
    const counts = this.tracker.counts;
    const n = slots.length;
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const load = counts[slots[i]!]! * inverseWeights[i]!;
      if (load < bestLoad) {
        bestLoad = load;
        best = i;
      }
    }
    return best;
  }

  iter(): LeastConnectionsIter {
    return new LeastConnectionsIter(this);
  }
}

export class LeastConnectionsIter implements BackendIter {
  readonly #selection: LeastConnections;
  /** offered[i] === round when backends[i] was already offered in this round. */
  readonly #offered: Uint32Array;
  #round = 0;
  #start = -1;

  constructor(selection: LeastConnections) {
    this.#selection = selection;
    this.#offered = new Uint32Array(selection.backends.length);
  }

  reset(): void {
    this.#start = -1;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    if (this.#start < 0) {
      this.#start = s.nextRotation();
      this.#round++;
      if (this.#round === 0xffffffff) {
        this.#offered.fill(0);
        this.#round = 1;
      }
      const first = s.leastFrom(this.#start);
      this.#offered[first] = this.#round;
      return s.backends[first];
    }
    const { slots, inverseWeights } = s;
    const counts = s.tracker.counts;
    const offered = this.#offered;
    const round = this.#round;
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0, i = this.#start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      if (offered[i] === round) continue;
      const load = counts[slots[i]!]! * inverseWeights[i]!;
      if (load < bestLoad) {
        bestLoad = load;
        best = i;
      }
    }
    if (best < 0) return undefined;
    offered[best] = round;
    return s.backends[best];
  }
}
