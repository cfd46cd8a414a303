/**
 * CacheablePredictor: remembers keys whose responses turned out uncacheable
 * (Pingora's predictor.rs), so later requests for them skip the lookup and
 * the cache lock and go straight upstream. Bounded: a sharded LRU of at
 * most `capacity` keys. A bypassed response that turns cacheable again is
 * forgotten (and admitted).
 */
import { Lru } from '@pingora-ts/lru';
import type { CacheKey } from './key.ts';
import { NoCacheReason } from './phase.ts';

/** Reasons that say something about the asset itself (the others are transient). */
const REMEMBERED: ReadonlySet<NoCacheReason> = new Set([
  NoCacheReason.OriginNotCache,
  NoCacheReason.ResponseTooLarge,
  NoCacheReason.PredictedResponseTooLarge,
]);

export class CacheablePredictor {
  readonly #lru: Lru<NoCacheReason>;

  constructor(capacity: number, shards = 16) {
    this.#lru = new Lru<NoCacheReason>({ shards, weightLimit: Math.max(1, capacity) });
  }

  /** False when `key` was seen uncacheable and is still remembered. */
  cacheablePrediction(key: CacheKey): boolean {
    // nothing remembered (the usual case): no key to hash
    return this.#lru.len === 0 || !this.#lru.has(key.primaryHex());
  }

  /** Remembers `key` as uncacheable for `reason`; true when it was recorded. */
  markUncacheable(key: CacheKey, reason: NoCacheReason): boolean {
    if (!REMEMBERED.has(reason)) return false;
    this.#lru.admit(key.primaryHex(), reason, 1);
    this.#lru.evictToLimit();
    return true;
  }

  /** Forgets `key` (its response is cacheable again). */
  markCacheable(key: CacheKey): void {
    this.#lru.remove(key.primaryHex());
  }

  /** Keys remembered. */
  get size(): number {
    return this.#lru.len;
  }
}
