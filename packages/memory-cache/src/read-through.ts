/**
 * RTCache: a read-through cache on MemoryCache (Pingora's RTCache). A miss
 * calls the lookup callback and caches its value; concurrent misses for one
 * key are coalesced behind a CacheLock, so the lookup runs once and the
 * others read its result (`lock_hit`). A lock older than `lockAgeMs` is
 * ignored (its key is looked up again, uncached), a waiter gives up after
 * `lockTimeoutMs` and looks up on its own, and every lookup is cut off after
 * `lookupTimeoutMs`, so no wait is unbounded. getStale() serves expired values
 * within a grace period, getStaleWhileUpdate() refreshes them behind the scenes.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { CacheLock } from './cache-lock.ts';
import type { FreshLookup, ReadThrough } from './cache-status.ts';
import { checkCount, checkKey, checkMs, checkTtl } from './check.ts';
import { type CacheKey, MAX_CACHE_SIZE, MemoryCache } from './memory-cache.ts';

/** What a lookup yields: the value and its TTL (else the caller's default TTL). */
export interface LookupResult<V> {
  value: V;
  ttlMs?: number | undefined;
}

/**
 * Fetches the value of one key from the source of truth (DNS, a database,
 * ...). `signal` aborts when the lookup is cut off by `lookupTimeoutMs`.
 */
export type Lookup<K, V, S> = (
  key: K,
  extra: S | undefined,
  signal: AbortSignal,
) => Promise<LookupResult<V>> | LookupResult<V>;

/** Fetches many keys in one call; must answer one result per key, in order. */
export type MultiLookup<K, V, S> = (
  keys: K[],
  extra: S | undefined,
  signal: AbortSignal,
) => Promise<LookupResult<V>[]> | LookupResult<V>[];

export interface RTCacheOptions<K, V, S> {
  /** Most entries held (see MemoryCache). */
  size: number;
  lookup: Lookup<K, V, S>;
  /** Needed only for multiGet(). */
  multiLookup?: MultiLookup<K, V, S>;
  /** A lock older than this is not waited on: the key is looked up again. Default: no limit. */
  lockAgeMs?: number;
  /** How long a caller waits on another's lookup before doing its own. Default: until it ends. */
  lockTimeoutMs?: number;
  /** Lookups taking longer fail with ReadTimedout (and see their signal abort). Default 30 s. */
  lookupTimeoutMs?: number;
  /** Called with the error of a background refresh from getStaleWhileUpdate(). */
  onRefreshError?: (error: PingoraError, key: K) => void;
  /** Milliseconds from a monotonic source; performance.now() by default. */
  clock?: () => number;
  /** Sketch hash seed; random by default. */
  seed?: number;
}

/** Options of one read: the TTL to cache with when the lookup names none, and its extra argument. */
export interface ReadOptions<S> {
  ttlMs?: number;
  extra?: S;
}

const DEFAULT_LOOKUP_TIMEOUT_MS = 30_000;

function lookupError(cause: unknown, status: string): PingoraError {
  const context = `RTCache: lookup error (cache ${status})`;
  if (PingoraError.is(cause)) {
    return new PingoraError(cause.type, {
      source: cause.source,
      retry: cause.retry,
      context,
      cause,
    });
  }
  return new PingoraError(ErrorType.UnknownError, {
    source: ErrorSource.Internal,
    context,
    cause,
  });
}

function checkResult<V>(result: unknown): LookupResult<V> {
  if (typeof result !== 'object' || result === null || !('value' in result)) {
    throw PingoraError.explain(
      ErrorType.InternalError,
      'RTCache: lookup must return { value, ttlMs? }',
    );
  }
  checkTtl((result as LookupResult<V>).ttlMs);
  return result as LookupResult<V>;
}

export class RTCache<K extends CacheKey, V, S = undefined> {
  readonly #inner: MemoryCache<K, V>;
  readonly #locks = new Map<K, CacheLock>();
  readonly #lookup: Lookup<K, V, S>;
  readonly #multiLookup: MultiLookup<K, V, S> | undefined;
  readonly #lockAgeMs: number | undefined;
  readonly #lockTimeoutMs: number | undefined;
  readonly #lookupTimeoutMs: number;
  readonly #onRefreshError: ((error: PingoraError, key: K) => void) | undefined;
  readonly #clock: () => number;

  /** Throws a ConfigError PingoraError on a bad size or timeout. */
  constructor(options: RTCacheOptions<K, V, S>) {
    checkCount('read-through cache size', options.size, MAX_CACHE_SIZE);
    checkMs('lockAgeMs', options.lockAgeMs);
    checkMs('lockTimeoutMs', options.lockTimeoutMs);
    checkMs('lookupTimeoutMs', options.lookupTimeoutMs);
    if (typeof options.lookup !== 'function') {
      throw PingoraError.explain(ErrorType.ConfigError, 'RTCache needs a lookup function');
    }
    this.#clock = options.clock ?? (() => performance.now());
    this.#inner = new MemoryCache<K, V>({
      size: options.size,
      clock: this.#clock,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    this.#lookup = options.lookup;
    this.#multiLookup = options.multiLookup;
    this.#lockAgeMs = options.lockAgeMs;
    this.#lockTimeoutMs = options.lockTimeoutMs;
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
    this.#onRefreshError = options.onRefreshError;
  }

  /** The cache underneath, for direct reads, puts and removals. */
  get cache(): MemoryCache<K, V> {
    return this.#inner;
  }

  /** Keys with a lookup in flight now. */
  get lookupsInFlight(): number {
    return this.#locks.size;
  }

  /**
   * The value of `key`: from the cache when fresh (`hit`), else from the
   * lookup (`miss` or `expired`), or from another caller's lookup of the
   * same key (`lock_hit`). Rejects with a PingoraError (the lookup's error
   * as cause) when the lookup fails or times out.
   */
  async get(key: K, options: ReadOptions<S> = {}): Promise<ReadThrough<V>> {
    checkKey(key);
    checkTtl(options.ttlMs);
    const cached = this.#inner.get(key);
    if (cached.status === 'hit') return cached;
    const status = cached.status;

    const held = this.#locks.get(key);
    if (held === undefined) {
      // first miss: this caller looks up, others wait on its lock
      const lock = new CacheLock(this.#clock());
      this.#locks.set(key, lock);
      try {
        const found = await this.#runLookup(key, options.extra, status);
        this.#inner.forcePut(key, found.value, found.ttlMs ?? options.ttlMs);
        return { status, value: found.value };
      } finally {
        lock.release();
        if (this.#locks.get(key) === lock) this.#locks.delete(key);
      }
    }

    if (this.#lockAgeMs !== undefined && this.#clock() - held.start > this.#lockAgeMs) {
      // the lock is too old to trust: look up without caching, so a slow
      // holder and its bypassers do not all write
      const found = await this.#runLookup(key, options.extra, status);
      return { status, value: found.value };
    }

    if (!(await held.wait(this.#lockTimeoutMs))) {
      // waited long enough: look up alone and leave the cache to the holder
      const found = await this.#runLookup(key, options.extra, status);
      return { status, value: found.value };
    }
    const after = this.#inner.get(key);
    if (after.status === 'hit') return { status: 'lock_hit', value: after.value };
    // the holder failed (or its value was refused or already expired): try ourselves
    const found = await this.#runLookup(key, options.extra, status);
    this.#inner.forcePut(key, found.value, found.ttlMs ?? options.ttlMs);
    return { status, value: found.value };
  }

  /**
   * Like get(), but a value expired for at most `staleTtlMs` is served as
   * `stale` (no lookup). Past that, or on a miss, it is get().
   */
  async getStale(
    key: K,
    staleTtlMs: number,
    options: ReadOptions<S> = {},
  ): Promise<ReadThrough<V>> {
    checkTtl(staleTtlMs);
    const cached = this.#inner.getStale(key);
    if (cached.status === 'hit') return cached;
    if (cached.status === 'stale' && cached.staleMs <= staleTtlMs) return cached;
    return this.get(key, options);
  }

  /**
   * Like getStale(), and when it serves a stale value it also starts a
   * lookup in the background to refresh it (coalesced with any other).
   * A failed refresh goes to `onRefreshError`, never to an unhandled rejection.
   */
  async getStaleWhileUpdate(
    key: K,
    staleTtlMs: number,
    options: ReadOptions<S> = {},
  ): Promise<ReadThrough<V>> {
    const result = await this.getStale(key, staleTtlMs, options);
    if (result.status === 'stale') {
      this.get(key, options).catch((err: unknown) => {
        const error = PingoraError.is(err) ? err : lookupError(err, 'stale');
        this.#onRefreshError?.(error, key);
      });
    }
    return result;
  }

  /**
   * get() for many keys with one multiLookup() call for all the misses (no
   * coalescing with other callers, as in Pingora, so two batches cannot wait
   * on each other). Results are in key order; if the lookup fails, the whole
   * call fails.
   */
  async multiGet(keys: readonly K[], options: ReadOptions<S> = {}): Promise<ReadThrough<V>[]> {
    checkTtl(options.ttlMs);
    for (const key of keys) checkKey(key);
    const multiLookup = this.#multiLookup;
    if (multiLookup === undefined) {
      throw PingoraError.explain(ErrorType.ConfigError, 'RTCache.multiGet needs multiLookup');
    }
    const [cached, missed] = this.#inner.multiGetWithMiss(keys);
    if (missed.length === 0) return cached as ReadThrough<V>[];
    const found = await this.#withTimeout('miss', (signal) =>
      multiLookup(missed, options.extra, signal),
    );
    if (!Array.isArray(found) || found.length !== missed.length) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `RTCache: multiLookup answered ${Array.isArray(found) ? found.length : 'no array'} results for ${missed.length} keys`,
      );
    }
    const results = found.map((r) => checkResult<V>(r));
    const out: ReadThrough<V>[] = [];
    let next = 0;
    for (let i = 0; i < keys.length; i++) {
      const c = cached[i] as FreshLookup<V>;
      if (c.status === 'hit') {
        out.push(c);
        continue;
      }
      const r = results[next++]!;
      this.#inner.forcePut(keys[i]!, r.value, r.ttlMs ?? options.ttlMs);
      out.push({ status: c.status, value: r.value });
    }
    return out;
  }

  async #runLookup(key: K, extra: S | undefined, status: string): Promise<LookupResult<V>> {
    return checkResult<V>(
      await this.#withTimeout(status, (signal) => this.#lookup(key, extra, signal)),
    );
  }

  /** Runs `fn` under lookupTimeoutMs, turning its failure into a PingoraError. */
  async #withTimeout<T>(status: string, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut: PingoraError | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = PingoraError.explain(
          ErrorType.ReadTimedout,
          `RTCache: lookup timed out after ${this.#lookupTimeoutMs} ms (cache ${status})`,
        ).asInternal();
        controller.abort(timedOut);
        reject(timedOut);
      }, this.#lookupTimeoutMs);
    });
    try {
      const work = Promise.resolve().then(() => fn(controller.signal));
      // a lookup that fails after its timeout must not surface as unhandled
      work.catch(() => {});
      return await Promise.race([work, timeout]);
    } catch (err) {
      // past the deadline the timeout is the answer, whatever the aborted lookup threw
      throw timedOut ?? lookupError(err, status);
    } finally {
      clearTimeout(timer);
    }
  }
}
