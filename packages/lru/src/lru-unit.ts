/**
 * LruUnit: one shard of the Lru (Pingora's LruUnit and LinkedList in one).
 * Entries live in slots of parallel arrays: links in Int32Arrays, weights in
 * a Float64Array, keys and data in plain arrays. Slot 0 is the sentinel of a
 * circular doubly linked list (its next is the most recently used entry, its
 * prev the least), so every operation is O(1) with no branch for the ends.
 * Freed slots are chained through `next` and reused; the arrays grow by
 * doubling and, as in Pingora, never shrink.
 */

const INITIAL_SLOTS = 16;
const NONE = -1;

export type CanonicalKey = number | bigint | string;

export class LruUnit<T> {
  readonly #index = new Map<CanonicalKey, number>();
  #prev: Int32Array;
  #next: Int32Array;
  #weights: Float64Array;
  #keys: Array<CanonicalKey | undefined>;
  #data: Array<T | undefined>;
  /** Head of the chain of freed slots (through #next), NONE when there is none. */
  #free = NONE;
  /** Slots ever handed out, the sentinel included. */
  #used = 1;
  /** Bumped on every change of order or membership, so iteration can refuse to go on after one. */
  #version = 0;
  usedWeight = 0;
  /** The entry the last evict() or remove() took out; cleared by clearTaken(). */
  takenKey: CanonicalKey | undefined = undefined;
  takenData: T | undefined = undefined;
  takenWeight = 0;

  constructor(capacity = INITIAL_SLOTS) {
    const slots = Math.max(2, capacity + 1);
    this.#prev = new Int32Array(slots);
    this.#next = new Int32Array(slots);
    this.#weights = new Float64Array(slots);
    this.#keys = new Array(slots).fill(undefined);
    this.#data = new Array(slots).fill(undefined);
  }

  get size(): number {
    return this.#index.size;
  }

  has(key: CanonicalKey): boolean {
    return this.#index.has(key);
  }

  peek(key: CanonicalKey): T | undefined {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.#data[slot];
  }

  peekWeight(key: CanonicalKey): number | undefined {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.#weights[slot];
  }

  /** Moves `key` to the head and returns its data; undefined when absent. */
  get(key: CanonicalKey): T | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return undefined;
    this.#promoteSlot(slot);
    return this.#data[slot];
  }

  /** Moves `key` to the head; false when absent. */
  access(key: CanonicalKey): boolean {
    const slot = this.#index.get(key);
    if (slot === undefined) return false;
    this.#promoteSlot(slot);
    return true;
  }

  /** Whether `key` is absent from the `limit` most recently used entries (Pingora's need_promote). */
  needPromote(key: CanonicalKey, limit: number): boolean {
    const next = this.#next;
    const keys = this.#keys;
    let slot = next[0]!;
    for (let i = 0; i < limit && slot !== 0; i++, slot = next[slot]!) {
      if (keys[slot] === key) return false;
    }
    return true;
  }

  /**
   * Inserts or replaces `key` at the head. Returns the weight it had before,
   * -1 when it is new (0 is a real old weight: insertTail() takes 0; Pingora
   * reads 0 as new and counts such an entry twice).
   */
  admit(key: CanonicalKey, data: T, weight: number): number {
    const existing = this.#index.get(key);
    if (existing !== undefined) {
      const old = this.#weights[existing]!;
      this.usedWeight += weight - old;
      this.#weights[existing] = weight;
      this.#data[existing] = data;
      this.#promoteSlot(existing);
      return old;
    }
    const slot = this.#allocate(key, data, weight);
    this.#linkAfter(slot, 0);
    return -1;
  }

  /** Inserts `key` at the tail unless present; false when it was already there. */
  insertTail(key: CanonicalKey, data: T, weight: number): boolean {
    if (this.#index.has(key)) return false;
    const slot = this.#allocate(key, data, weight);
    this.#linkAfter(slot, this.#prev[0]!);
    return true;
  }

  /**
   * Adds `delta` to the weight of `key` (capped at `maxWeight` when given) and
   * promotes it. Returns [old, new] weights, or undefined when absent.
   */
  incrementWeight(
    key: CanonicalKey,
    delta: number,
    maxWeight: number | undefined,
  ): [number, number] | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return undefined;
    const old = this.#weights[slot]!;
    const updated = maxWeight === undefined ? old + delta : Math.min(old + delta, maxWeight);
    this.#weights[slot] = updated;
    this.usedWeight += updated - old;
    this.#promoteSlot(slot);
    return [old, updated];
  }

  /**
   * Removes the least recently used entry into takenKey/takenData/takenWeight
   * (fields rather than a callback or tuple: no allocation per eviction).
   * False when empty.
   */
  evict(): boolean {
    const tail = this.#prev[0]!;
    if (tail === 0) return false;
    this.#take(tail);
    return true;
  }

  /** Removes `key` into takenKey/takenData/takenWeight; false when absent. */
  remove(key: CanonicalKey): boolean {
    const slot = this.#index.get(key);
    if (slot === undefined) return false;
    this.#take(slot);
    return true;
  }

  /** Drops the reference to the last taken data once the caller has it. */
  clearTaken(): void {
    this.takenKey = undefined;
    this.takenData = undefined;
  }

  /** The least recently used entry's slot, or 0 when empty. */
  tailSlot(): number {
    return this.#prev[0]!;
  }

  keyAt(slot: number): CanonicalKey {
    return this.#keys[slot]!;
  }

  dataAt(slot: number): T {
    return this.#data[slot] as T;
  }

  weightAt(slot: number): number {
    return this.#weights[slot]!;
  }

  /**
   * Calls `fn` for each entry from most to least recently used. The unit must
   * not change meanwhile (a freed slot would send the walk elsewhere), so a
   * change made by `fn` stops the walk with a RangeError.
   */
  forEach(fn: (data: T, weight: number, key: CanonicalKey) => void): void {
    const version = this.#version;
    const next = this.#next;
    for (let slot = next[0]!; slot !== 0; slot = next[slot]!) {
      fn(this.#data[slot] as T, this.#weights[slot]!, this.#keys[slot]!);
      if (this.#version !== version) {
        throw new RangeError('Lru shard changed while being iterated; collect entries first');
      }
    }
  }

  #promoteSlot(slot: number): void {
    if (this.#next[0] === slot) return;
    this.#unlink(slot);
    this.#linkAfter(slot, 0);
  }

  #linkAfter(slot: number, at: number): void {
    const prev = this.#prev;
    const next = this.#next;
    const after = next[at]!;
    prev[slot] = at;
    next[slot] = after;
    next[at] = slot;
    prev[after] = slot;
    this.#version++;
  }

  #unlink(slot: number): void {
    const prev = this.#prev;
    const next = this.#next;
    const p = prev[slot]!;
    const n = next[slot]!;
    next[p] = n;
    prev[n] = p;
  }

  #allocate(key: CanonicalKey, data: T, weight: number): number {
    let slot = this.#free;
    if (slot !== NONE) {
      this.#free = this.#next[slot]!;
    } else {
      if (this.#used === this.#next.length) this.#grow();
      slot = this.#used++;
    }
    this.#keys[slot] = key;
    this.#data[slot] = data;
    this.#weights[slot] = weight;
    this.#index.set(key, slot);
    this.usedWeight += weight;
    return slot;
  }

  #take(slot: number): void {
    const key = this.#keys[slot]!;
    this.takenKey = key;
    this.takenData = this.#data[slot];
    this.takenWeight = this.#weights[slot]!;
    this.#index.delete(key);
    this.#release(slot);
  }

  #release(slot: number): void {
    this.usedWeight -= this.#weights[slot]!;
    this.#unlink(slot);
    // drop references so evicted data can be collected
    this.#keys[slot] = undefined;
    this.#data[slot] = undefined;
    this.#weights[slot] = 0;
    this.#prev[slot] = NONE;
    this.#next[slot] = this.#free;
    this.#free = slot;
    this.#version++;
  }

  #grow(): void {
    const size = this.#next.length * 2;
    const prev = new Int32Array(size);
    prev.set(this.#prev);
    const next = new Int32Array(size);
    next.set(this.#next);
    const weights = new Float64Array(size);
    weights.set(this.#weights);
    this.#prev = prev;
    this.#next = next;
    this.#weights = weights;
    for (let i = this.#keys.length; i < size; i++) {
      this.#keys.push(undefined);
      this.#data.push(undefined);
    }
  }
}
