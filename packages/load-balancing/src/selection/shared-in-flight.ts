/**
 * In-flight counts shared by the server threads of one process (`threads:
 * N`), as Pingora's least-connections state is shared by its threads: a
 * backend's count lives in the pool's SharedTable and every thread changes
 * it with Atomics. Each thread also keeps its own share in a cell of its own,
 * so a thread that replaces a crashed one takes back what the dead thread
 * left counted instead of leaving the backend looking busy forever.
 */
import { type SharedTable, serverThread } from '@pingora-ts/runtime';

/** Load balancers built on this thread, numbered in construction order (the same on every thread). */
let nextOrdinal = 0;

export class SharedCounts {
  readonly #table: SharedTable;
  readonly #prefix: string;
  readonly #thread: number;
  /** The count's cell -> this thread's share's cell. */
  readonly #mine = new Map<number, number>();

  constructor(table: SharedTable, thread: number, ordinal: number) {
    this.#table = table;
    this.#thread = thread;
    this.#prefix = `lb-in-flight/${ordinal}/`;
  }

  /** Shared counts for a new load balancer on a server thread, else undefined. */
  static forThisThread(): SharedCounts | undefined {
    const thread = serverThread();
    if (thread === undefined) return undefined;
    return new SharedCounts(thread.shared, thread.index, nextOrdinal++);
  }

  /** Every count lives in this array (the pool's SharedTable). */
  get cells(): Int32Array {
    return this.#table.cells;
  }

  /**
   * The cell counting `addr` on every thread. A share left by this thread's
   * crashed predecessor (same index) is taken off the count here.
   */
  slotFor(addr: string): number {
    const table = this.#table;
    const slot = table.slot(this.#prefix + addr);
    if (!this.#mine.has(slot)) {
      const mine = table.slot(`${this.#prefix}${addr}#${this.#thread}`);
      const left = Atomics.exchange(table.cells, mine, 0);
      if (left !== 0) Atomics.sub(table.cells, slot, left);
      this.#mine.set(slot, mine);
    }
    return slot;
  }

  add(slot: number, delta: number): void {
    const cells = this.#table.cells;
    Atomics.add(cells, slot, delta);
    const mine = this.#mine.get(slot);
    if (mine !== undefined) Atomics.add(cells, mine, delta);
  }
}
