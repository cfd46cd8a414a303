/**
 * SharedTable: a fixed-size map from string keys to Int32 values in a
 * SharedArrayBuffer, read and written with Atomics by every server thread
 * (health per backend, counters). Keys are stored as a 64-bit FNV-1a hash,
 * open addressing, never removed: the table is sized for the keys a
 * configuration names, and says so when it is full.
 */

/** Entries: [hash high (never 0 once used), hash low, value]. */
const WIDTH = 3;

export class SharedTable {
  readonly buffer: SharedArrayBuffer;
  /**
   * The table's memory: `cells[slot(key)]` is key's value, for callers that
   * index it on a hot path (always through Atomics: other threads write it).
   */
  readonly cells: Int32Array;
  readonly #capacity: number;

  /** A new table for `capacity` keys, or a view of `buffer` made by another thread. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    if (typeof capacityOrBuffer === 'number') {
      if (!Number.isSafeInteger(capacityOrBuffer) || capacityOrBuffer < 1) {
        throw new RangeError(
          `SharedTable capacity must be a positive integer, got ${capacityOrBuffer}`,
        );
      }
      this.buffer = new SharedArrayBuffer(capacityOrBuffer * WIDTH * 4);
    } else {
      this.buffer = capacityOrBuffer;
    }
    this.cells = new Int32Array(this.buffer);
    this.#capacity = Math.floor(this.cells.length / WIDTH);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /**
   * The index of `key`'s value cell, inserting the key if needed. Throws a
   * RangeError when the table is full.
   */
  slot(key: string): number {
    const [hi, lo] = hash64(key);
    const cells = this.cells;
    const cap = this.#capacity;
    let i = (lo >>> 0) % cap;
    for (let probe = 0; probe < cap; probe++, i = (i + 1) % cap) {
      const at = i * WIDTH;
      let h = Atomics.load(cells, at);
      if (h === 0) {
        h = Atomics.compareExchange(cells, at, 0, hi);
        if (h === 0) {
          Atomics.store(cells, at + 1, lo);
          return at + 2;
        }
      }
      if (h !== hi) continue;
      // Another thread may be between claiming the entry and writing its low half.
      let l = Atomics.load(cells, at + 1);
      for (let spin = 0; l === 0 && spin < 1000; spin++) l = Atomics.load(cells, at + 1);
      if (l === lo || l === 0) return at + 2;
    }
    throw new RangeError(`SharedTable is full (${cap} keys)`);
  }

  load(slot: number): number {
    return Atomics.load(this.cells, slot);
  }

  store(slot: number, value: number): void {
    Atomics.store(this.cells, slot, value);
  }

  add(slot: number, value: number): number {
    return Atomics.add(this.cells, slot, value) + value;
  }
}

/** FNV-1a over UTF-16 code units, 64 bits as two int32 halves; the high half is never 0. */
function hash64(key: string): [number, number] {
  // Two 32-bit FNV-1a lanes with different offsets stand in for one 64-bit hash.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return [a === 0 ? 1 : a | 0, b === 0 ? 1 : b | 0];
}
