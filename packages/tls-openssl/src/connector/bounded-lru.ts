/**
 * A small LRU map for the connector's caches (contexts, sessions): a Map in
 * recency order, the oldest entry evicted past `capacity`. Sized in the
 * hundreds, so Map's delete + set per hit is cheap enough and allocation-free.
 */
export class BoundedLru<V> {
  readonly capacity: number;
  #map = new Map<string, V>();
  #evictions = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Entries evicted to stay within capacity so far. */
  get evictions(): number {
    return this.#evictions;
  }

  /** The value under `key`, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Stores `value` as the most recent entry (a capacity of 0 keeps nothing). */
  set(key: string, value: V): void {
    if (this.capacity === 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
      this.#evictions++;
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
