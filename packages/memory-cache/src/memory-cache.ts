/**
 * MemoryCache: an in-memory cache of values with optional TTLs on TinyUFO
 * (Pingora's pingora-memory-cache). Every entry weighs 1, so `size` is the
 * most entries held. Expired entries are not dropped on read: they stay
 * until evicted, so getStale() can still serve them. Time comes from an
 * injectable monotonic clock in milliseconds.
 */
import { TinyUfo, type TinyUfoKey } from '@pingora-ts/tinyufo';
import type { CacheLookup, FreshLookup } from './cache-status.ts';
import { checkCount, checkKey, checkTtl } from './check.ts';

/** What a MemoryCache is keyed by (as TinyUfo: compared as Map keys). */
export type CacheKey = TinyUfoKey;

export interface MemoryCacheOptions {
  /** Most entries held, 1 to 2^24. */
  size: number;
  /** Entries the frequency sketch is sized for; `size` by default (as Pingora). */
  estimatedSize?: number;
  /** Milliseconds from a monotonic source; performance.now() by default. */
  clock?: () => number;
  /** Sketch hash seed; random by default. */
  seed?: number;
}

/** Most entries a MemoryCache may be sized for. */
export const MAX_CACHE_SIZE = 1 << 24;

const MISS: FreshLookup<never> = Object.freeze({ status: 'miss', value: undefined });
const EXPIRED: FreshLookup<never> = Object.freeze({ status: 'expired', value: undefined });

interface Entry<V> {
  value: V;
  /** Clock time at which it expires; Infinity when it never does. */
  expireAt: number;
}

const defaultClock = () => performance.now();

export class MemoryCache<K extends CacheKey, V> {
  readonly size: number;
  readonly #store: TinyUfo<K, Entry<V>>;
  readonly #clock: () => number;

  /** Throws a ConfigError PingoraError on a size out of range. */
  constructor(options: MemoryCacheOptions) {
    this.size = checkCount('memory cache size', options.size, MAX_CACHE_SIZE);
    const estimatedSize = checkCount(
      'memory cache estimatedSize',
      options.estimatedSize ?? options.size,
      MAX_CACHE_SIZE,
    );
    this.#store = new TinyUfo<K, Entry<V>>({
      totalWeightLimit: this.size,
      estimatedSize,
      // a sketch sized as Pingora's for millions of entries is large: go compact past 2^20
      compact: estimatedSize > 1 << 20,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    this.#clock = options.clock ?? defaultClock;
  }

  /** Entries held now, expired ones included. */
  get length(): number {
    return this.#store.size;
  }

  /** The value of `key` if held and fresh: `hit`, else `miss` or `expired` without a value. */
  get(key: K): FreshLookup<V> {
    const entry = this.#store.get(key);
    if (entry === undefined) return MISS;
    if (entry.expireAt <= this.#clock()) return EXPIRED;
    return { status: 'hit', value: entry.value };
  }

  /**
   * Like get() but an expired value is returned too, as `stale` with how
   * many ms ago it expired.
   */
  getStale(key: K): CacheLookup<V> {
    const entry = this.#store.get(key);
    if (entry === undefined) return MISS;
    const now = this.#clock();
    if (entry.expireAt <= now) {
      return { status: 'stale', value: entry.value, staleMs: now - entry.expireAt };
    }
    return { status: 'hit', value: entry.value };
  }

  /**
   * Stores `value` under `key` for `ttlMs` (forever when undefined). A TTL of
   * 0 stores nothing. TinyLFU may turn away a key less popular than the one
   * it would evict; forcePut() does not. Throws a ConfigError on a bad key or TTL.
   */
  put(key: K, value: V, ttlMs?: number): void {
    checkKey(key);
    checkTtl(ttlMs);
    if (ttlMs === 0) return;
    this.#store.put(key, this.#entry(value, ttlMs), 1);
  }

  /** Like put() but always admits: for a value that readers are waiting on. */
  forcePut(key: K, value: V, ttlMs?: number): void {
    checkKey(key);
    checkTtl(ttlMs);
    if (ttlMs === 0) return;
    this.#store.forcePut(key, this.#entry(value, ttlMs), 1);
  }

  /** Drops `key` if held. */
  remove(key: K): void {
    this.#store.remove(key);
  }

  /** get() for each of `keys`, in order. */
  multiGet(keys: Iterable<K>): FreshLookup<V>[] {
    const out: FreshLookup<V>[] = [];
    for (const key of keys) out.push(this.get(key));
    return out;
  }

  /** multiGet() plus the keys that had no fresh value, in order. */
  multiGetWithMiss(keys: Iterable<K>): [results: FreshLookup<V>[], missed: K[]] {
    const out: FreshLookup<V>[] = [];
    const missed: K[] = [];
    for (const key of keys) {
      const r = this.get(key);
      if (r.status !== 'hit') missed.push(key);
      out.push(r);
    }
    return [out, missed];
  }

  #entry(value: V, ttlMs: number | undefined): Entry<V> {
    return {
      value,
      expireAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock() + ttlMs,
    };
  }
}
