/**
 * In-flight request counts per backend address, for least-connections and
 * power-of-two-choices. The proxy takes a guard when it uses a backend and
 * releases it when the request is done. Counts live in one typed array
 * indexed by a slot per address (kept by address, so counts survive
 * rebuilds), and every change is logged in a ring that least-connections'
 * LoadTree replays to stay current.
 */
import type { Backend } from '../backend.ts';

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
    tracker.counts[this.#slot]!--;
    tracker.touched(this.#slot);
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
  /** counts[slotFor(addr)] is the number of unreleased guards on addr. Replaced when it grows. */
  counts = new Int32Array(16);
  /** Ring of the slots whose count changed, so load trees can catch up (see LoadTree). */
  readonly changes = new Int32Array(CHANGE_LOG);
  /** Number of changes ever logged; changes[(version - k) % CHANGE_LOG] is the k-th latest. */
  version = 0;
  readonly #slots = new Map<string, number>();
  readonly #free: number[] = [];
  #used = 0;

  /** The slot of `addr`, allocated (at count zero) if new. */
  slotFor(addr: string): number {
    let slot = this.#slots.get(addr);
    if (slot === undefined) {
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
    this.counts[slot]!++;
    this.touched(slot);
    return new InFlightGuard(backend, this, slot);
  }

  /** Logs that the count of `slot` changed. */
  touched(slot: number): void {
    this.changes[this.version & (CHANGE_LOG - 1)] = slot;
    this.version++;
  }

  /** The number of unreleased guards on `addr`. */
  count(addr: string): number {
    const slot = this.#slots.get(addr);
    return slot === undefined ? 0 : this.counts[slot]!;
  }

  /**
   * Frees the slots of addresses no longer in the set whose count is zero. A
   * removed backend with requests in flight keeps its slot until a later
   * call, so a guard released after removal still decrements its own count
   * (a slot is only reused once no guard can point at it).
   */
  retain(addrs: ReadonlySet<string>): void {
    for (const [addr, slot] of this.#slots) {
      if (!addrs.has(addr) && this.counts[slot]! <= 0) {
        this.#slots.delete(addr);
        this.#free.push(slot);
      }
    }
  }
}
