/**
 * Lru: Pingora's weighted, sharded LRU. Every entry has a weight (its size);
 * admitting never evicts by itself: the caller admits, then calls
 * evictToLimit() and disposes of what comes back (pingora-cache's eviction
 * manager deletes those assets from storage). Shards are independent LRU
 * lists: in Pingora they spread lock contention, here (one thread) they keep
 * Pingora's per-shard walks and serialization units, and eviction picks the
 * longer of two random shards (power of two choices) so shards stay even.
 */
import { canonicalKey, type LruKey, shardOf } from './key.ts';
import { LruUnit } from './lru-unit.ts';

/** An entry taken out of the Lru. `key` is canonical: bigints below 2^53 come back as numbers. */
export interface LruEntry<T> {
  key: number | bigint | string;
  data: T;
  weight: number;
}

export interface LruOptions {
  /** Number of shards, 1 to 65536. */
  shards: number;
  /** evictToLimit() evicts while the total weight is above this. */
  weightLimit: number;
  /** evictToLimit() also evicts while more than this many entries are held (Pingora's watermark). */
  lengthLimit?: number;
  /** Slots to reserve per shard up front (they grow as needed). */
  capacity?: number;
  /** Seed of the generator that picks shards to evict from; random by default. */
  seed?: number;
}

const MAX_SHARDS = 65_536;

function checkWeight(what: string, weight: number): void {
  if (!Number.isSafeInteger(weight) || weight < 0) {
    throw new RangeError(`Lru ${what} must be a non-negative safe integer, got ${String(weight)}`);
  }
}

function checkShard(shards: number, shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new RangeError(`Lru shard must be an integer from 0 to ${shards - 1}, got ${shard}`);
  }
}

export class Lru<T> {
  readonly shards: number;
  readonly weightLimit: number;
  readonly lengthLimit: number | undefined;
  readonly #units: LruUnit<T>[];
  #weight = 0;
  #len = 0;
  #evictedWeight = 0;
  #evictedLen = 0;
  /** xorshift32 state for the shard picks. */
  #rng: number;

  /** Throws RangeError on a shard count, limit or capacity out of range. */
  constructor(options: LruOptions) {
    const { shards, weightLimit, lengthLimit, capacity = 16, seed } = options;
    if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
      throw new RangeError(`Lru shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
    }
    checkWeight('weightLimit', weightLimit);
    if (lengthLimit !== undefined) checkWeight('lengthLimit', lengthLimit);
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1 << 24) {
      throw new RangeError(`Lru capacity must be an integer from 0 to 2^24, got ${capacity}`);
    }
    this.shards = shards;
    this.weightLimit = weightLimit;
    this.lengthLimit = lengthLimit;
    this.#units = Array.from({ length: shards }, () => new LruUnit<T>(capacity));
    this.#rng = (seed ?? Math.floor(Math.random() * 0x100000000)) | 0 || 0x9e3779b9;
  }

  /** Total weight held. */
  get weight(): number {
    return this.#weight;
  }

  /** Number of entries held. */
  get len(): number {
    return this.#len;
  }

  /** Total weight evicted by evictToLimit() and evictShard() so far. */
  get evictedWeight(): number {
    return this.#evictedWeight;
  }

  /** Number of entries evicted by evictToLimit() and evictShard() so far. */
  get evictedLen(): number {
    return this.#evictedLen;
  }

  /** The shard `key` belongs to. */
  shardOf(key: LruKey): number {
    return shardOf(canonicalKey(key), this.shards);
  }

  /**
   * Puts `key` at the head of its shard, replacing data and weight if it was
   * there. A weight of 0 counts as 1 (as in Pingora, so eviction always makes
   * progress). Returns the shard index. Does not evict: call evictToLimit().
   */
  admit(key: LruKey, data: T, weight: number): number {
    checkWeight('weight', weight);
    const k = canonicalKey(key);
    const shard = shardOf(k, this.shards);
    const w = weight === 0 ? 1 : weight;
    const old = this.#units[shard]!.admit(k, data, w);
    if (old < 0) {
      this.#weight += w;
      this.#len++;
    } else {
      this.#weight += w - old;
    }
    return shard;
  }

  /**
   * Adds `delta` to the weight of `key`, capped at `maxWeight` when given,
   * and promotes it. Returns the new weight, undefined when the key is absent
   * (Pingora answers 0, which a zero-weight entry could also have).
   */
  incrementWeight(key: LruKey, delta: number, maxWeight?: number): number | undefined {
    checkWeight('delta', delta);
    if (maxWeight !== undefined) checkWeight('maxWeight', maxWeight);
    const k = canonicalKey(key);
    const change = this.#units[shardOf(k, this.shards)]!.incrementWeight(k, delta, maxWeight);
    if (change === undefined) return undefined;
    this.#weight += change[1] - change[0];
    return change[1];
  }

  /** Moves `key` to the head of its shard. False when absent. */
  promote(key: LruKey): boolean {
    const k = canonicalKey(key);
    return this.#units[shardOf(k, this.shards)]!.access(k);
  }

  /**
   * Promotes `key` unless it is already among the `top` most recently used of
   * its shard (an O(top) scan; Pingora notes plain promote() is usually faster).
   */
  promoteTopN(key: LruKey, top: number): boolean {
    const k = canonicalKey(key);
    const unit = this.#units[shardOf(k, this.shards)]!;
    if (!unit.needPromote(k, top)) return true;
    return unit.access(k);
  }

  /** The data of `key`, promoting it; undefined when absent. */
  get(key: LruKey): T | undefined {
    const k = canonicalKey(key);
    return this.#units[shardOf(k, this.shards)]!.get(k);
  }

  /** The data of `key` without promoting it; undefined when absent. */
  peek(key: LruKey): T | undefined {
    const k = canonicalKey(key);
    return this.#units[shardOf(k, this.shards)]!.peek(k);
  }

  /** Whether `key` is held (no promotion). */
  has(key: LruKey): boolean {
    const k = canonicalKey(key);
    return this.#units[shardOf(k, this.shards)]!.has(k);
  }

  /** The weight of `key` without promoting it; undefined when absent. */
  peekWeight(key: LruKey): number | undefined {
    const k = canonicalKey(key);
    return this.#units[shardOf(k, this.shards)]!.peekWeight(k);
  }

  /** The least recently used entry of `shard` without removing it. */
  peekLru(shard: number): LruEntry<T> | undefined {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shards) return undefined;
    const unit = this.#units[shard]!;
    const slot = unit.tailSlot();
    if (slot === 0) return undefined;
    return { key: unit.keyAt(slot), data: unit.dataAt(slot), weight: unit.weightAt(slot) };
  }

  /** Removes `key`; returns its data and weight, undefined when absent. */
  remove(key: LruKey): { data: T; weight: number } | undefined {
    const k = canonicalKey(key);
    const shard = shardOf(k, this.shards);
    const unit = this.#units[shard]!;
    if (!unit.remove(k)) return undefined;
    const removed = { data: unit.takenData as T, weight: unit.takenWeight };
    unit.clearTaken();
    this.#weight -= removed.weight;
    this.#len--;
    return removed;
  }

  /**
   * Puts `key` at the tail of its shard unless present (false then), with
   * its weight as given (0 allowed): rebuilds an LRU in most-to-least order.
   */
  insertTail(key: LruKey, data: T, weight: number): boolean {
    checkWeight('weight', weight);
    const k = canonicalKey(key);
    if (!this.#units[shardOf(k, this.shards)]!.insertTail(k, data, weight)) return false;
    this.#weight += weight;
    this.#len++;
    return true;
  }

  /** Evicts the least recently used entry of shard `seed % shards`, if any. */
  evictShard(seed: number): LruEntry<T> | undefined {
    checkWeight('shard seed', seed);
    const out: LruEntry<T>[] = [];
    this.#evictAt(seed % this.shards, out);
    return out[0];
  }

  /**
   * Evicts until the weight is within weightLimit and the count within
   * lengthLimit, least recently used first, from the longer of two randomly
   * picked shards each time (probing on when that one is empty). Returns
   * what was evicted, in order.
   */
  evictToLimit(): LruEntry<T>[] {
    const evicted: LruEntry<T>[] = [];
    const n = this.shards;
    const lengthLimit = this.lengthLimit ?? Number.POSITIVE_INFINITY;
    while (this.#weight > this.weightLimit || this.#len > lengthLimit) {
      let start = 0;
      if (n > 1) {
        const a = this.#nextRandom() % n;
        const b = this.#nextRandom() % n;
        start = this.#units[a]!.size >= this.#units[b]!.size ? a : b;
      }
      let shard = start;
      while (!this.#evictAt(shard, evicted)) {
        shard = (shard + 1) % n;
        if (shard === start) return evicted; // every shard is empty
      }
    }
    return evicted;
  }

  /** Number of entries in `shard`. */
  shardLen(shard: number): number {
    checkShard(this.shards, shard);
    return this.#units[shard]!.size;
  }

  /** Total weight of `shard`. */
  shardWeight(shard: number): number {
    checkShard(this.shards, shard);
    return this.#units[shard]!.usedWeight;
  }

  /**
   * Calls `fn` for each entry of `shard` from most to least recently used.
   * Changing the Lru from `fn` throws RangeError; collect first, then change.
   */
  iterShard(
    shard: number,
    fn: (data: T, weight: number, key: number | bigint | string) => void,
  ): void {
    checkShard(this.shards, shard);
    this.#units[shard]!.forEach(fn);
  }

  #evictAt(shard: number, out: LruEntry<T>[]): boolean {
    const unit = this.#units[shard]!;
    if (!unit.evict()) return false;
    const weight = unit.takenWeight;
    out.push({ key: unit.takenKey!, data: unit.takenData as T, weight });
    unit.clearTaken();
    this.#weight -= weight;
    this.#len--;
    this.#evictedWeight += weight;
    this.#evictedLen++;
    return true;
  }

  #nextRandom(): number {
    let x = this.#rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#rng = x;
    return x >>> 0;
  }
}
