/**
 * EvictionManager: decides which assets leave a size-bounded storage
 * (Pingora's eviction/mod.rs). `admit` returns the keys to evict (possibly
 * the newcomer itself when admission refuses it); the storage deletes them.
 * Two implementations: Pingora's sharded LRU (@pingora-ts/lru) and TinyUFO
 * (@pingora-ts/tinyufo, S3-FIFO + TinyLFU admission).
 */
import { Lru } from '@pingora-ts/lru';
import { TinyUfo } from '@pingora-ts/tinyufo';

export interface EvictionManager {
  /** Admits `key` of `size` bytes; returns the keys the caller must remove from storage. */
  admit(key: string, size: number, freshUntil: number): string[];
  /** Records a hit; false when the key is unknown to the manager. */
  access(key: string): boolean;
  /** Forgets `key` (purged or replaced). */
  remove(key: string): void;
  /** Bytes tracked. */
  readonly totalSize: number;
  /** Assets tracked. */
  readonly totalItems: number;
  /** Bytes evicted so far. */
  readonly evictedSize: number;
  /** Assets evicted so far. */
  readonly evictedItems: number;
}

export type EvictionKind = 'lru' | 'tinyufo';

/** Pingora's lru::Manager: a sharded LRU bounded by total bytes. */
export class LruEvictionManager implements EvictionManager {
  readonly #lru: Lru<number>;

  constructor(maxBytes: number, shards = 16) {
    this.#lru = new Lru<number>({ shards, weightLimit: maxBytes });
  }

  admit(key: string, size: number): string[] {
    this.#lru.admit(key, size, size);
    const out: string[] = [];
    for (const e of this.#lru.evictToLimit()) out.push(e.key as string);
    return out;
  }
  access(key: string): boolean {
    return this.#lru.promote(key);
  }
  remove(key: string): void {
    this.#lru.remove(key);
  }
  get totalSize(): number {
    return this.#lru.weight;
  }
  get totalItems(): number {
    return this.#lru.len;
  }
  get evictedSize(): number {
    return this.#lru.evictedWeight;
  }
  get evictedItems(): number {
    return this.#lru.evictedLen;
  }
}

/** TinyUFO: better hit ratios on skewed workloads; may refuse a newcomer. */
export class TinyUfoEvictionManager implements EvictionManager {
  readonly #ufo: TinyUfo<string, number>;
  #evictedSize = 0;
  #evictedItems = 0;

  constructor(maxBytes: number, estimatedItems = 10_000) {
    this.#ufo = new TinyUfo<string, number>({
      totalWeightLimit: Math.max(1, maxBytes),
      estimatedSize: estimatedItems,
    });
  }

  admit(key: string, size: number): string[] {
    const evicted = this.#ufo.put(key, size, Math.max(1, size));
    const out: string[] = [];
    for (const e of evicted) {
      this.#evictedSize += e.weight;
      this.#evictedItems++;
      out.push(e.key);
    }
    return out;
  }
  access(key: string): boolean {
    return this.#ufo.get(key) !== undefined;
  }
  remove(key: string): void {
    this.#ufo.remove(key);
  }
  get totalSize(): number {
    return this.#ufo.weight;
  }
  get totalItems(): number {
    return this.#ufo.size;
  }
  get evictedSize(): number {
    return this.#evictedSize;
  }
  get evictedItems(): number {
    return this.#evictedItems;
  }
}

/** The eviction manager of `kind` for `maxBytes`. */
export function evictionManager(kind: EvictionKind, maxBytes: number): EvictionManager {
  return kind === 'lru' ? new LruEvictionManager(maxBytes) : new TinyUfoEvictionManager(maxBytes);
}
