/**
 * CacheLock: the mark a read-through lookup leaves while it runs, so other
 * callers missing the same key wait for its result instead of looking up
 * again (Pingora's CacheLock). Waiters are callbacks in a set; each wait has
 * its own timer when a lock timeout is set, and a timed-out waiter leaves
 * the set, so nothing piles up behind a lookup that hangs.
 */

export class CacheLock {
  /** Clock time the lookup started, to judge the lock's age. */
  readonly start: number;
  #released = false;
  readonly #waiters = new Set<() => void>();

  constructor(start: number) {
    this.start = start;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Callers waiting now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves true once released, or false after `timeoutMs` (never, when
   * undefined) if it was not.
   */
  wait(timeoutMs: number | undefined): Promise<boolean> {
    if (this.#released) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters.delete(done);
          resolve(false);
        }, timeoutMs);
      }
      this.#waiters.add(done);
    });
  }

  /** Wakes every waiter; later waits resolve at once. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
