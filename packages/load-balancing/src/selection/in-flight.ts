/**
 * In-flight request counts per backend address, for least-connections and
 * power-of-two-choices. The proxy takes a guard when it uses a backend and
 * releases it when the request is done; counts survive selection rebuilds
 * because they are keyed by address, not by position.
 */
import type { Backend } from '../backend.ts';

/** One backend's count. Selections hold these objects directly to read counts without a lookup. */
export interface InFlightCounter {
  count: number;
}

/** Holds one unit of a backend's count until released; releasing twice is harmless. */
export class InFlightGuard implements Disposable {
  readonly backend: Backend;
  private counter: InFlightCounter | undefined;

  constructor(backend: Backend, counter: InFlightCounter) {
    this.backend = backend;
    this.counter = counter;
    counter.count++;
  }

  /** Decrements the count; returns false if this guard was already released. */
  release(): boolean {
    const counter = this.counter;
    if (counter === undefined) return false;
    this.counter = undefined;
    counter.count--;
    return true;
  }

  get released(): boolean {
    return this.counter === undefined;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

export class InFlightTracker {
  private readonly counters = new Map<string, InFlightCounter>();

  /** The counter of `addr`, created at zero if new. */
  counterFor(addr: string): InFlightCounter {
    let counter = this.counters.get(addr);
    if (counter === undefined) {
      counter = { count: 0 };
      this.counters.set(addr, counter);
    }
    return counter;
  }

  /** Counts one request on `backend` until the guard is released. */
  acquire(backend: Backend): InFlightGuard {
    return new InFlightGuard(backend, this.counterFor(backend.addr));
  }

  /** The number of unreleased guards on `addr`. */
  count(addr: string): number {
    return this.counters.get(addr)?.count ?? 0;
  }

  /**
   * Forgets addresses no longer in the set whose count is zero. A removed
   * backend with requests in flight keeps its counter until a later prune,
   * so a guard released after removal still decrements the right counter.
   */
  retain(addrs: ReadonlySet<string>): void {
    for (const [addr, counter] of this.counters) {
      if (!addrs.has(addr) && counter.count <= 0) this.counters.delete(addr);
    }
  }
}
