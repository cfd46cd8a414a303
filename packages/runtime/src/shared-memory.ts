/**
 * SharedMemory: named Int32 regions every thread of a ThreadPool sees, on
 * the main thread (through the pool) and on each server thread alike. The
 * first to ask for a name allocates it (zeroed) from the pool's arena; the
 * names and their places live in the pool's SharedTable.
 */
import type { SharedTable } from './shared-table.ts';

export interface SharedMemory {
  /** The pool's SharedTable. */
  readonly shared: SharedTable;
  /**
   * Who this thread is, stable across a thread's replacement: 1 for the main
   * thread, index + 2 for server thread `index`. Never 0.
   */
  readonly memberId: number;
  /** The region named `name`, the same memory on every thread of the pool. */
  sharedInt32(name: string, length: number): Int32Array;
}

/** Allocates or finds region `name` of `length` cells in `arena` (cell 0 is the bump pointer). */
export function sharedRegion(
  table: SharedTable,
  arena: Int32Array,
  name: string,
  length: number,
): Int32Array {
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new RangeError(`shared region "${name}": length must be a positive integer`);
  }
  const slot = table.slot(`region/${name}`);
  const lenSlot = table.slot(`region-length/${name}`);
  for (let spin = 0; spin < 10_000_000; spin++) {
    const v = table.load(slot);
    if (v > 0) {
      if (table.load(lenSlot) !== length) {
        throw new RangeError(`shared region "${name}" exists with another length`);
      }
      return new Int32Array(arena.buffer, (v - 1) * 4, length);
    }
    if (v === 0 && table.add(slot, -1) === -1) {
      // Ours to allocate: cells start at 16 (index 0 is the bump pointer).
      Atomics.compareExchange(arena, 0, 0, 16);
      const at = Atomics.add(arena, 0, length);
      if (at + length > arena.length) {
        table.store(slot, 0);
        throw new RangeError(`shared arena full: no room for "${name}" (${length} cells)`);
      }
      table.store(lenSlot, length);
      table.store(slot, at + 1);
      return new Int32Array(arena.buffer, at * 4, length);
    }
  }
  throw new RangeError(`shared region "${name}": allocation by another thread did not finish`);
}

let mainPool: SharedMemory | undefined;

/** Set by a ThreadPool on the main thread (the latest one constructed). */
export function setMainSharedMemory(pool: SharedMemory | undefined): void {
  mainPool = pool;
}

/** The main thread's running pool, if any (on a server thread: see serverThread()). */
export function mainSharedMemory(): SharedMemory | undefined {
  return mainPool;
}
