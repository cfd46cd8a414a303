/**
 * Least connections (beyond Pingora): the first candidate is the backend with
 * the fewest in-flight requests per unit of weight; each fallback is the
 * least loaded of those not yet offered. Ties rotate, so an idle set is
 * shared round-robin. A pick scans all backends: O(n), no allocation.
 */
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection, SelectionContext } from './backend-selection.ts';
import { InFlightTracker } from './in-flight.ts';

export class LeastConnections implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly tracker: InFlightTracker;
  /** tracker.counts[slots[i]] is the in-flight count of backends[i]. */
  readonly slots: Uint32Array;
  readonly inverseWeights: Float64Array;
  private rotation = 0;

  constructor(backends: readonly Backend[], context?: SelectionContext) {
    const tracker = context?.inFlight ?? new InFlightTracker();
    this.backends = backends;
    this.tracker = tracker;
    this.slots = Uint32Array.from(backends, (b) => tracker.slotFor(b.addr));
    this.inverseWeights = Float64Array.from(backends, (b) => 1 / b.weight);
  }

  static build(backends: readonly Backend[], context?: SelectionContext): LeastConnections {
    return new LeastConnections(backends, context);
  }

  /** Where the next pick starts scanning, so equal loads are shared in turn. */
  nextRotation(): number {
    const n = this.backends.length;
    const r = this.rotation;
    this.rotation = r + 1 >= n ? 0 : r + 1;
    return r;
  }

  iter(): LeastConnectionsIter {
    return new LeastConnectionsIter(this);
  }
}

export class LeastConnectionsIter implements BackendIter {
  private readonly selection: LeastConnections;
  /** offered[i] === round when backends[i] was already offered in this round. */
  private readonly offered: Uint32Array;
  private round = 0;
  private start = -1;

  constructor(selection: LeastConnections) {
    this.selection = selection;
    this.offered = new Uint32Array(selection.backends.length);
  }

  reset(): void {
    this.start = -1;
  }

  next(): Backend | undefined {
    const s = this.selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    if (this.start < 0) {
      this.start = s.nextRotation();
      this.round++;
      if (this.round === 0xffffffff) {
        this.offered.fill(0);
        this.round = 1;
      }
    }
    const { slots, inverseWeights } = s;
    const counts = s.tracker.counts;
    const offered = this.offered;
    const round = this.round;
    let best = -1;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0, i = this.start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
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
