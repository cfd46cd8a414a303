/**
 * Bucket and FifoQueue: an entry of TinyUFO and the two FIFO queues (small
 * and main) that order them. The queues are intrusive doubly linked lists
 * around a sentinel, so removing an entry from the middle is O(1) and a
 * removed key leaves nothing behind in a queue (Pingora's lock-free queues
 * keep stale keys until they are popped). Each queue keeps its total weight.
 */

/** What a put() hands back: an entry evicted, or the one TinyLFU refused. */
export interface Evicted<K, V> {
  readonly key: K;
  readonly data: V;
  readonly weight: number;
}

export class Bucket<K, V> implements Evicted<K, V> {
  key: K;
  data: V;
  weight: number;
  /** The key's sketch hash, kept so eviction can compare frequencies without rehashing. */
  hash: number;
  /** Reads since admission, capped at 3 (Pingora's USES_CAP: a main-queue sweep stays short). */
  uses = 0;
  /** Which queue holds it. */
  inMain = false;
  prev: Bucket<K, V> | null = null;
  next: Bucket<K, V> | null = null;

  constructor(key: K, data: V, weight: number, hash: number) {
    this.key = key;
    this.data = data;
    this.weight = weight;
    this.hash = hash;
  }
}

export class FifoQueue<K, V> {
  /** Sentinel: its next is the oldest entry, its prev the newest. */
  readonly #head: Bucket<K, V>;
  weight = 0;
  length = 0;

  constructor() {
    this.#head = new Bucket<K, V>(undefined as K, undefined as V, 0, 0);
    this.#head.prev = this.#head;
    this.#head.next = this.#head;
  }

  /** Appends `b` as the newest entry. */
  push(b: Bucket<K, V>): void {
    const head = this.#head;
    const last = head.prev!;
    b.prev = last;
    b.next = head;
    last.next = b;
    head.prev = b;
    this.weight += b.weight;
    this.length++;
  }

  /** Takes out the oldest entry, or null when empty. */
  pop(): Bucket<K, V> | null {
    const first = this.#head.next!;
    if (first === this.#head) return null;
    this.unlink(first);
    return first;
  }

  /** Takes `b` out of this queue, wherever it is. */
  unlink(b: Bucket<K, V>): void {
    b.prev!.next = b.next;
    b.next!.prev = b.prev;
    b.prev = null;
    b.next = null;
    this.weight -= b.weight;
    this.length--;
  }

  /** Keys from oldest to newest (for tests and inspection). */
  keys(): K[] {
    const out: K[] = [];
    for (let b = this.#head.next!; b !== this.#head; b = b.next!) out.push(b.key);
    return out;
  }
}
