/**
 * In-flight request counts per backend address, for least-connections and
 * power-of-two-choices. The proxy takes a guard when it uses a backend and
 * releases it when the request is done. Counts live in one typed array
 * indexed by a slot per address (kept by address, so counts survive
 * rebuilds), and every change is logged in a ring that least-connections'
 * LoadTree replays to stay current. On server threads (`threads: N`) the
 * counts live in the pool's SharedTable, so every thread's picks see every
 * thread's requests (see shared-in-flight.ts).
 */
import type { Backend } from '../backend.ts';
import { SharedCounts } from './shared-in-flight.ts';

/** Holds one unit of a backend's count until released; releasing twice is harmless. */
export class InFlightGuard implements Disposable {
  readonly backend: Backend;
  #tracker: InFlightTracker | undefined;
  readonly #slot: number;

  constructor(backend: Backend, tracker: InFlightTracker, slot: number) {
    this.backend = backend;
    this.#tracker = tracker;
    this.#slot = slot;
  }

  /** Decrements the count; returns false if this guard was already released. */
  release(): boolean {
    const tracker = this.#tracker;
    if (tracker === undefined) return false;
    this.#tracker = undefined;
    tracker.release(this.#slot);
    return true;
  }

  get released(): boolean {
    return this.#tracker === undefined;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Entries of the change log (a power of two); a reader further behind rebuilds instead. */
const CHANGE_LOG = 4096;

export class InFlightTracker {
  /**
   * counts[slotFor(addr)] is the number of unreleased guards on addr.
   * Replaced when it grows; shared by every server thread when `shared`.
   */
  counts: Int32Array<ArrayBufferLike> = new Int32Array(16);
  /**
   * Other threads change `counts` too: their changes are not in `changes`,
   * so readers must read counts live (no LoadTree).
   */
  readonly shared: boolean;
  readonly #sharedCounts: SharedCounts | undefined;
  /** Ring of the slots whose count changed, so load trees can catch up (see LoadTree). */
  readonly changes = new Int32Array(CHANGE_LOG);
  /** Number of changes ever logged; changes[(version - k) % CHANGE_LOG] is the k-th latest. */
  version = 0;
  readonly #slots = new Map<string, number>();
  readonly #free: number[] = [];
  #used = 0;

  /** A tracker of this thread's requests only, or (`shared`) of every server thread's. */
  constructor(shared?: SharedCounts) {
    this.#sharedCounts = shared;
    this.shared = shared !== undefined;
    if (shared !== undefined) this.counts = shared.cells;
  }

  /**
   * The tracker for a new load balancer: on a server thread, counts shared
   * with the same load balancer of every other thread; else this thread's.
   */
  static forThisThread(): InFlightTracker {
    return new InFlightTracker(SharedCounts.forThisThread());
  }

  /** The slot of `addr`, allocated (at count zero) if new. */
  slotFor(addr: string): number {
    let slot = this.#slots.get(addr);
    if (slot === undefined && this.#sharedCounts !== undefined) {
      slot = this.#sharedCounts.slotFor(addr);
      this.#slots.set(addr, slot);
    } else if (slot === undefined) {
      slot = this.#free.pop();
      if (slot === undefined) {
        if (this.#used === this.counts.length) {
          const grown = new Int32Array(this.counts.length * 2);
          grown.set(this.counts);
          this.counts = grown;
        }
        slot = this.#used++;
      }
      this.counts[slot] = 0;
      this.#slots.set(addr, slot);
      this.touched(slot);
    }
    return slot;
  }

  /** Counts one request on `backend` until the guard is released. */
  acquire(backend: Backend): InFlightGuard {
    const slot = this.slotFor(backend.addr);
    if (this.#sharedCounts === undefined) this.counts[slot]!++;
    else this.#sharedCounts.add(slot, 1);
    this.touched(slot);
    return new InFlightGuard(backend, this, slot);
  }

  /** Ends one request counted on `slot` (InFlightGuard.release). */
  release(slot: number): void {
    if (this.#sharedCounts === undefined) this.counts[slot]!--;
    else this.#sharedCounts.add(slot, -1);
    this.touched(slot);
  }

  /** Logs that the count of `slot` changed. */
  touched(slot: number): void {
    this.changes[this.version & (CHANGE_LOG - 1)] = slot;
    this.version++;
  }

  /** The number of unreleased guards on `addr`. */
  count(addr: string): number {
    const slot = this.#slots.get(addr);
    if (slot === undefined) return 0;
    return this.shared ? Atomics.load(this.counts, slot) : this.counts[slot]!;
  }

  /**
   * Frees the slots of addresses no longer in the set whose count is zero. A
   * removed backend with requests in flight keeps its slot until a later
   * call, so a guard released after removal still decrements its own count
   * (a slot is only reused once no guard can point at it). Shared slots are
   * never reused: another thread may still count on them.
   */
  retain(addrs: ReadonlySet<string>): void {
    if (this.shared) return;
    for (const [addr, slot] of this.#slots) {
      if (!addrs.has(addr) && this.counts[slot]! <= 0) {
        this.#slots.delete(addr);
        this.#free.push(slot);
      }
    }
  }
}
