/**
 * TinyUfo: an in-memory cache with S3-FIFO eviction and TinyLFU admission
 * (Pingora's tinyufo). New entries enter the small queue (10% of the weight);
 * one read while there (uses > 1 counts from the put) earns a move to the
 * main queue when it reaches the front, the rest are evicted. The main queue
 * is a CLOCK-like FIFO: a used entry goes round again with one use less. In
 * place of S3-FIFO's ghost queue, a count-min sketch of puts decides
 * admission: when admitting a new key evicts exactly one entry and that one
 * is more popular, the victim stays and the newcomer is turned away.
 */
import { Bucket, type Evicted, FifoQueue } from './bucket.ts';
import { hashKey, type TinyUfoKey } from './key-hash.ts';
import { TinyLfu } from './tiny-lfu.ts';

export interface TinyUfoOptions {
  /** The most total weight held once put() returns. */
  totalWeightLimit: number;
  /** Expected number of entries: sizes the frequency sketch and its aging window. */
  estimatedSize: number;
  /** Size the sketch for estimatedSize / 100 (Pingora's compact mode). */
  compact?: boolean;
  /** Sketch hash seed; random by default. Fix it only for reproducible tests. */
  seed?: number;
}

/** Where an entry is: the small (probation) or main queue. */
export type TinyUfoQueue = 'small' | 'main';

const USES_CAP = 3;
const SMALL_QUEUE_SHARE = 0.1;
const NOTHING: readonly Evicted<never, never>[] = Object.freeze([]);

function checkSize(what: string, n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`TinyUfo ${what} must be a safe integer of at least ${min}, got ${n}`);
  }
}

export class TinyUfo<K extends TinyUfoKey, V> {
  readonly totalWeightLimit: number;
  readonly #smallLimit: number;
  readonly #buckets = new Map<K, Bucket<K, V>>();
  readonly #small = new FifoQueue<K, V>();
  readonly #main = new FifoQueue<K, V>();
  readonly #lfu: TinyLfu;
  readonly #seed: number;

  /** Throws RangeError on a limit below 1 or a sketch too large for estimatedSize. */
  constructor(options: TinyUfoOptions) {
    const { totalWeightLimit, estimatedSize, compact = false, seed } = options;
    checkSize('totalWeightLimit', totalWeightLimit, 1);
    checkSize('estimatedSize', estimatedSize, 1);
    this.totalWeightLimit = totalWeightLimit;
    this.#smallLimit = Math.floor(totalWeightLimit * SMALL_QUEUE_SHARE) + 1;
    this.#lfu = new TinyLfu(estimatedSize, compact);
    this.#seed = (seed ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
  }

  /** Total weight held. */
  get weight(): number {
    return this.#small.weight + this.#main.weight;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#buckets.size;
  }

  /** The value of `key`, counting a use of it; undefined when absent. */
  get(key: K): V | undefined {
    const b = this.#buckets.get(key);
    if (b === undefined) return undefined;
    if (b.uses < USES_CAP) b.uses++;
    return b.data;
  }

  /** The value of `key` without counting a use; undefined when absent. */
  peek(key: K): V | undefined {
    return this.#buckets.get(key)?.data;
  }

  /** Whether `key` is held (no use counted). */
  has(key: K): boolean {
    return this.#buckets.has(key);
  }

  /** The queue holding `key`, undefined when absent. */
  queueOf(key: K): TinyUfoQueue | undefined {
    const b = this.#buckets.get(key);
    return b === undefined ? undefined : b.inMain ? 'main' : 'small';
  }

  /**
   * Puts `data` under `key` with `weight` (an integer >= 1) and returns what
   * left the cache: evicted entries, or the newcomer itself when TinyLFU
   * judged it less popular than the entry it would displace, or when it is
   * heavier than the whole cache. Replacing a key counts as a use of it; the
   * replaced value is not reported.
   */
  put(key: K, data: V, weight = 1): readonly Evicted<K, V>[] {
    return this.#admit(key, data, weight, false);
  }

  /**
   * Like put() but always admits the newcomer (TinyLFU is skipped): for a
   * value other readers are waiting on. Costs about 0.5pp of hit ratio in
   * Pingora's Zipf tests.
   */
  forcePut(key: K, data: V, weight = 1): readonly Evicted<K, V>[] {
    return this.#admit(key, data, weight, true);
  }

  /** Removes `key`; returns its value, undefined when absent. */
  remove(key: K): V | undefined {
    const b = this.#buckets.get(key);
    if (b === undefined) return undefined;
    this.#detach(b);
    return b.data;
  }

  #admit(key: K, data: V, weight: number, ignoreLfu: boolean): readonly Evicted<K, V>[] {
    checkSize('weight', weight, 1);
    // Only puts are sketched, not reads: the sketch mostly sees the long tail,
    // where its counts are the most useful (Pingora's reasoning).
    const hash = hashKey(key, this.#seed);
    const newFreq = this.#lfu.incr(hash);
    const existing = this.#buckets.get(key);
    if (weight > this.totalWeightLimit) {
      // could never fit: drop any older value so get() does not serve it
      if (existing !== undefined) this.#detach(existing);
      return [{ key, data, weight }];
    }
    if (existing !== undefined) {
      if (existing.uses < USES_CAP) existing.uses++;
      const queue = existing.inMain ? this.#main : this.#small;
      queue.weight += weight - existing.weight;
      existing.weight = weight;
      existing.data = data;
      // the entry itself may be the one evicted, as in Pingora
      return this.#evictToLimit(0);
    }
    const evicted = this.#evictToLimit(weight);
    if (!ignoreLfu && evicted.length === 1) {
      // TinyLFU admission: the more popular of newcomer and victim stays.
      // Comparing frequencies across several victims of other weights is
      // not obviously right, so (as Pingora) only a single victim is weighed.
      const victim = evicted[0] as Bucket<K, V>;
      if (this.#lfu.get(victim.hash) > newFreq) {
        victim.uses = 0;
        victim.inMain = false;
        this.#buckets.set(victim.key, victim);
        this.#small.push(victim);
        return [{ key, data, weight }];
      }
    }
    const b = new Bucket(key, data, weight, hash);
    this.#buckets.set(key, b);
    this.#small.push(b);
    return evicted;
  }

  /** Evicts until `extra` more weight fits under the limit. */
  #evictToLimit(extra: number): readonly Evicted<K, V>[] {
    const limit = this.totalWeightLimit - extra;
    if (this.#small.weight + this.#main.weight <= limit) return NOTHING;
    const out: Evicted<K, V>[] = [];
    while (this.#small.weight + this.#main.weight > limit) {
      const b = this.#evictOne();
      if (b === null) break;
      out.push(b);
    }
    return out;
  }

  #evictOne(): Bucket<K, V> | null {
    if (this.#small.weight >= this.#smallLimit) {
      // the sweep may promote the whole small queue and evict nothing
      const b = this.#evictFromSmall();
      if (b !== null) return b;
    }
    return this.#evictFromMain();
  }

  #evictFromSmall(): Bucket<K, V> | null {
    for (;;) {
      const b = this.#small.pop();
      if (b === null) return null;
      if (b.uses > 1) {
        b.inMain = true;
        this.#main.push(b);
        continue;
      }
      this.#buckets.delete(b.key);
      return b;
    }
  }

  #evictFromMain(): Bucket<K, V> | null {
    // ends within USES_CAP + 1 rounds: every pass takes a use away
    for (;;) {
      const b = this.#main.pop();
      if (b === null) return null;
      if (b.uses > 0) {
        b.uses--;
        this.#main.push(b);
        continue;
      }
      this.#buckets.delete(b.key);
      return b;
    }
  }

  #detach(b: Bucket<K, V>): void {
    (b.inMain ? this.#main : this.#small).unlink(b);
    this.#buckets.delete(b.key);
  }
}
