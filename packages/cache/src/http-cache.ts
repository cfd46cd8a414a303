/**
 * HttpCache: the cache state of one request (Pingora's HttpCache), which the
 * proxy drives through its phases: enable -> key -> lookup (vary, lock) ->
 * hit / miss / stale / expired -> revalidated or a new asset written through
 * a MissHandler (max file size, predictor, lock release). Every transition
 * checks the phase it starts from; misuse is an InternalError. finish()
 * releases what the request still holds whatever happened.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { ResponseHeader } from '@pingora-ts/http';
import { cacheLockWaitChannel } from './cache-events.ts';
import type { CacheKey } from './key.ts';
import type { CacheKeyLock, CacheLocked, CacheReadLock, CacheWritePermit } from './key-lock.ts';
import { LockStatus } from './lock.ts';
import type { CacheMeta } from './meta.ts';
import {
  CachePhase,
  type CacheStatusText,
  cacheStatusText,
  HitStatus,
  NoCacheReason,
} from './phase.ts';
import type { CachePolicy } from './policy.ts';
import type { CacheablePredictor } from './predictor.ts';
import type { HitHandler, LookupResult, MissHandler, Storage } from './storage.ts';

/** What requestCacheFilter enables a request's cache with (Pingora's HttpCache::enable). */
export interface CacheSettings {
  readonly storage: Storage;
  /** Remembers uncacheable keys to bypass their lookup next time. */
  readonly predictor?: CacheablePredictor | undefined;
  /** One fetch per key; the others wait (the local CacheLock, or a lock shared by instances). */
  readonly lock?: CacheKeyLock | undefined;
  /** Used by the proxy's default responseCacheFilter and, for rfc9111, request directives. */
  readonly policy?: CachePolicy | undefined;
  /** Bodies larger than this are not cached (Pingora's max_file_size). */
  readonly maxFileSizeBytes?: number | undefined;
  /** The clock (ms); Date.now by default. */
  readonly now?: (() => number) | undefined;
}

function misuse(what: string, phase: CachePhase): PingoraError {
  return PingoraError.explain(ErrorType.InternalError, `cache: ${what} in phase ${phase}`);
}

export class HttpCache {
  #phase: CachePhase = CachePhase.Disabled;
  #reason: NoCacheReason = NoCacheReason.NeverEnabled;
  #settings: CacheSettings | undefined;
  #key: CacheKey | undefined;
  #meta: CacheMeta | undefined;
  #hit: HitHandler | undefined;
  #miss: MissHandler | undefined;
  #hitStatus: HitStatus | undefined;
  #permit: CacheWritePermit | undefined;
  #readLock: CacheReadLock | undefined;
  /** Whether this request took the key's lock before (see CacheKeyLockOptions.relock). */
  #locked = false;
  /** A MissHandler's finish() is in flight (see finishMiss). */
  #finishing = false;
  #lockWaitedMs = 0;
  #written = 0;
  #fromExpired = false;
  /** The primary slot's `created`, a tombstone for older variants (Pingora's vary lookup). */
  #primaryCreated: number | undefined;

  get phase(): CachePhase {
    return this.#phase;
  }
  /** Why the cache is disabled (meaningful in Disabled, Bypass and RevalidatedNoCache). */
  get noCacheReason(): NoCacheReason {
    return this.#reason;
  }
  get enabled(): boolean {
    return this.#phase !== CachePhase.Disabled;
  }
  get settings(): CacheSettings {
    if (this.#settings === undefined) throw misuse('settings', this.#phase);
    return this.#settings;
  }
  get key(): CacheKey {
    if (this.#key === undefined) throw misuse('key', this.#phase);
    return this.#key;
  }
  get hasKey(): boolean {
    return this.#key !== undefined;
  }
  /** The meta of the found asset, or of the asset being written. */
  get meta(): CacheMeta | undefined {
    return this.#meta;
  }
  get hitHandler(): HitHandler | undefined {
    return this.#hit;
  }
  get hitStatus(): HitStatus | undefined {
    return this.#hitStatus;
  }
  /** Whether this request holds the key's write lock. */
  get isWriter(): boolean {
    return this.#permit !== undefined && !this.#permit.released;
  }
  get lockWaitedMs(): number {
    return this.#lockWaitedMs;
  }
  now(): number {
    return this.#settings?.now?.() ?? Date.now();
  }

  /** Enables the cache for this request (from requestCacheFilter). */
  enable(settings: CacheSettings): void {
    if (this.#phase !== CachePhase.Disabled || this.#reason !== NoCacheReason.NeverEnabled) {
      throw misuse('enable', this.#phase);
    }
    this.#settings = settings;
    this.#phase = CachePhase.Uninit;
  }

  /** Disables the cache for the rest of the request; releases the lock and drops a partial write. */
  disable(reason: NoCacheReason): void {
    if (this.#phase === CachePhase.Disabled) return;
    this.#reason = reason;
    this.#phase = CachePhase.Disabled;
    this.#releaseWriter(reason);
    this.#abortMiss();
  }

  /** Skips the lookup (e.g. predicted uncacheable) but may still admit the response. */
  bypass(): void {
    if (this.#phase !== CachePhase.CacheKey && this.#phase !== CachePhase.Uninit) {
      throw misuse('bypass', this.#phase);
    }
    this.#phase = CachePhase.Bypass;
  }

  setCacheKey(key: CacheKey): void {
    if (this.#phase !== CachePhase.Uninit) throw misuse('setCacheKey', this.#phase);
    this.#key = key;
    this.#phase = CachePhase.CacheKey;
  }

  /** Looks the key up in storage. */
  lookup(): LookupResult | undefined | Promise<LookupResult | undefined> {
    if (this.#phase !== CachePhase.CacheKey) throw misuse('lookup', this.#phase);
    return this.settings.storage.lookup(this.key);
  }

  /**
   * After a lookup found `meta`, with `variance` the hash the request asks
   * for (cacheVaryFilter). True when the asset is the request's variant;
   * false when the lookup must run again (the key now carries the variance).
   */
  varyLookup(variance: Buffer | undefined, meta: CacheMeta): boolean {
    // no variance asked for (cacheVaryFilter said none): the asset found is used
    if (variance === undefined) return true;
    const key = this.key;
    if (key.variance === undefined) {
      this.#primaryCreated = meta.created;
      if (meta.variance?.equals(variance)) return true;
      key.variance = variance;
      return false;
    }
    // a variant older than the primary slot was purged with it
    if (this.#primaryCreated !== undefined && meta.created < this.#primaryCreated) return false;
    return meta.variance?.equals(key.variance) === true;
  }

  /** A lookup found an asset; `status` says how it is treated. */
  cacheFound(meta: CacheMeta, hit: HitHandler, status: HitStatus): void {
    if (this.#phase !== CachePhase.CacheKey) throw misuse('cacheFound', this.#phase);
    this.#meta = meta;
    this.#hit = hit;
    this.#hitStatus = status;
    this.#phase =
      status === HitStatus.Fresh || status === HitStatus.ForceFresh
        ? CachePhase.Hit
        : CachePhase.Expired;
  }

  /** Nothing usable was found: the response will come from upstream. */
  cacheMiss(): void {
    if (this.#phase !== CachePhase.CacheKey && this.#phase !== CachePhase.Expired) {
      throw misuse('cacheMiss', this.#phase);
    }
    this.#hit?.finish();
    this.#hit = undefined;
    if (this.#phase === CachePhase.Expired) this.#fromExpired = true;
    this.#phase = CachePhase.Miss;
  }

  /** The X-Cache-Status of the request (see cacheStatusText). */
  get statusText(): CacheStatusText {
    return cacheStatusText(this.#phase, this.#fromExpired);
  }

  /** Serves the found (expired) asset as is: stale-if-error or stale-while-revalidate. */
  setStale(updating: boolean): void {
    if (this.#meta === undefined || this.#hit === undefined) throw misuse('setStale', this.#phase);
    this.#phase = updating ? CachePhase.StaleUpdating : CachePhase.Stale;
  }

  /** Back to the key phase so lookup() may run again (after a lock wait or a vary mismatch). */
  resetLookup(): void {
    this.#hit?.finish();
    this.#hit = undefined;
    this.#meta = undefined;
    this.#hitStatus = undefined;
    this.#phase = CachePhase.CacheKey;
  }

  // ---- cache lock ----

  /**
   * Takes the key's lock: 'write' when this request fetches, else the read
   * lock to wait on; undefined without a lock. A synchronous lock answers
   * synchronously; a distributed one with a promise (which, should the lock
   * break its contract and reject, answers undefined: fetch without a lock).
   */
  lock(): 'write' | CacheReadLock | undefined | Promise<'write' | CacheReadLock | undefined> {
    const lock = this.#settings?.lock;
    if (lock === undefined) return undefined;
    if (this.isWriter) return 'write';
    const relock = this.#locked;
    this.#locked = true;
    // an asset found expired: the writer revalidates it (Pingora's stale_writer)
    const stale = this.#phase === CachePhase.Expired;
    const options = stale ? (relock ? RELOCK_STALE : STALE) : relock ? RELOCK : undefined;
    const r = lock.lock(this.key, options);
    if (r instanceof Promise) {
      return r.then(
        (l) => this.#took(l),
        () => undefined,
      );
    }
    return this.#took(r);
  }

  #took(r: CacheLocked): 'write' | CacheReadLock {
    if (r.kind === 'write') {
      this.#permit = r.permit;
      return 'write';
    }
    this.#readLock = r.lock;
    return r.lock;
  }

  /** Waits on the ReadLock with what is left of the lock's wait timeout. */
  async waitLock(): Promise<LockStatus> {
    const r = this.#readLock;
    const lock = this.#settings?.lock;
    if (r === undefined || lock === undefined) throw misuse('waitLock', this.#phase);
    const started = lock.now();
    const status = await r.wait(lock.waitTimeoutMs - this.#lockWaitedMs);
    const waited = lock.now() - started;
    this.#lockWaitedMs += waited;
    this.#readLock = undefined;
    if (cacheLockWaitChannel.hasSubscribers) cacheLockWaitChannel.publish({ ms: waited, status });
    return status;
  }

  /** Releases the write lock (if held) with `status`. */
  releaseLock(status: LockStatus): void {
    const p = this.#permit;
    if (p === undefined) return;
    this.#permit = undefined;
    const r = p.release(status);
    // a distributed lock's release must not reject; should one, its key ages out
    if (r instanceof Promise) r.catch(() => {});
  }

  #releaseWriter(reason: NoCacheReason): void {
    if (this.#permit === undefined) return;
    // an uncacheable asset: waiting readers go upstream themselves
    const status =
      reason === NoCacheReason.OriginNotCache || reason === NoCacheReason.ResponseTooLarge
        ? LockStatus.GiveUp
        : LockStatus.TransientError;
    this.releaseLock(status);
  }

  // ---- revalidation ----

  /** A 304 refreshed the asset: store `meta` (its merged head) and serve the asset. */
  async revalidated(meta: CacheMeta): Promise<void> {
    if (this.#phase !== CachePhase.Expired && this.#phase !== CachePhase.Stale) {
      throw misuse('revalidated', this.#phase);
    }
    const old = this.#meta;
    if (old !== undefined) meta.created = old.created;
    meta.variance = old?.variance;
    this.#meta = meta;
    this.#phase = CachePhase.Revalidated;
    try {
      await this.settings.storage.updateMeta(this.key, meta);
      this.releaseLock(LockStatus.Done);
    } catch {
      // the asset is served all the same; the next request revalidates again
      this.releaseLock(LockStatus.TransientError);
    }
  }

  /** A 304 came but the refreshed response may not be stored: serve the old asset, keep it unchanged. */
  revalidatedNoCache(reason: NoCacheReason): void {
    if (this.#phase !== CachePhase.Expired) throw misuse('revalidatedNoCache', this.#phase);
    this.#reason = reason;
    this.#phase = CachePhase.RevalidatedNoCache;
    this.#releaseWriter(reason);
  }

  // ---- admission ----

  /**
   * Starts storing the upstream response with `meta`. Refuses (and disables
   * the cache, ResponseTooLarge) a Content-Length above the max file size.
   * On a streaming storage, waiting readers are released once it exists.
   */
  async setMissHandler(meta: CacheMeta): Promise<boolean> {
    if (this.#phase !== CachePhase.Miss && this.#phase !== CachePhase.Bypass) {
      throw misuse('setMissHandler', this.#phase);
    }
    const max = this.#settings?.maxFileSizeBytes;
    const cl = meta.header.getHeader('content-length');
    if (max !== undefined && cl !== undefined && Number(cl) > max) {
      this.#predict(NoCacheReason.ResponseTooLarge);
      this.disable(NoCacheReason.ResponseTooLarge);
      return false;
    }
    // a retried upstream attempt starts over: the earlier attempt's write is dropped
    this.#abortMiss();
    const key = this.key;
    // the primary slot keeps the variance of its asset in the meta
    meta.variance ??= key.variance;
    this.#meta = meta;
    this.#written = 0;
    try {
      this.#miss = await this.settings.storage.getMissHandler(key, meta);
    } catch {
      this.disable(NoCacheReason.StorageError);
      return false;
    }
    this.#settings?.predictor?.markCacheable(key);
    if (this.settings.storage.supportsStreamingPartialWrite) this.releaseLock(LockStatus.Done);
    return true;
  }

  /** Whether a MissHandler is writing this response. */
  get writing(): boolean {
    return this.#miss !== undefined;
  }

  /**
   * Stores the next body piece. A body outgrowing the max file size stops
   * being cached (the write is dropped, the response goes on).
   */
  writeBody(chunk: Buffer | null, eos: boolean): void | Promise<void> {
    const miss = this.#miss;
    if (miss === undefined) return;
    const n = chunk === null ? 0 : chunk.length;
    this.#written += n;
    const max = this.#settings?.maxFileSizeBytes;
    if (max !== undefined && this.#written > max) {
      this.#predict(NoCacheReason.ResponseTooLarge);
      this.disable(NoCacheReason.ResponseTooLarge);
      return;
    }
    return miss.writeBody(chunk ?? EMPTY, eos);
  }

  /** The body is complete: the asset becomes visible; returns its size (0 when nothing was written). */
  async finishMiss(): Promise<number> {
    const miss = this.#miss;
    if (miss === undefined) return 0;
    this.#miss = undefined;
    // the request may end (finish()) before an asynchronous storage has the
    // asset: the lock stays held until then, and is released with the outcome
    this.#finishing = true;
    try {
      const { size } = await miss.finish();
      this.releaseLock(LockStatus.Done);
      return size;
    } catch {
      this.disable(NoCacheReason.StorageError);
      return 0;
    } finally {
      this.#finishing = false;
    }
  }

  /** The response failed mid-way: drop the partial asset and let a waiting reader retry. */
  abortMiss(): void {
    this.#abortMiss();
    this.releaseLock(LockStatus.TransientError);
  }

  #abortMiss(): void {
    const miss = this.#miss;
    this.#miss = undefined;
    miss?.abort();
  }

  /** Remembers the key as uncacheable for `reason` in the predictor. */
  #predict(reason: NoCacheReason): void {
    if (this.#key !== undefined) this.#settings?.predictor?.markUncacheable(this.#key, reason);
  }

  /** The response was judged uncacheable (responseCacheFilter): predictor, lock GiveUp, disable. */
  uncacheable(reason: NoCacheReason): void {
    this.#predict(reason);
    this.disable(reason);
  }

  /** Hands the write permit to someone else (a background revalidation). */
  takePermit(): CacheWritePermit | undefined {
    const p = this.#permit;
    this.#permit = undefined;
    return p;
  }

  /** Gives a write permit taken elsewhere to this cache. */
  adoptPermit(p: CacheWritePermit | undefined): void {
    this.#permit = p;
  }

  /** The request is over: drop an unfinished write and release a lock still held. */
  finish(): void {
    this.#hit?.finish();
    this.#hit = undefined;
    if (this.#miss !== undefined) this.#abortMiss();
    // a finishing write releases the lock itself (Done, or TransientError on failure)
    if (!this.#finishing) this.releaseLock(LockStatus.Dangling);
  }

  /** The stored head of the found asset, for serving (a copy the caller may change; see CacheMeta.servedHeader). */
  servedHeader(): ResponseHeader {
    if (this.#meta === undefined) throw misuse('servedHeader', this.#phase);
    return this.#meta.servedHeader();
  }
}

const EMPTY = Buffer.alloc(0);
const RELOCK = { relock: true } as const;
const STALE = { staleWriter: true } as const;
const RELOCK_STALE = { relock: true, staleWriter: true } as const;
