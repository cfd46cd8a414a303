/**
 * The storage interfaces the cache owns (Pingora's storage.rs): a Storage
 * finds assets, hands out MissHandlers that write new ones, purges and
 * updates metadata; a HitHandler reads a found body; a MissHandler writes
 * one, which becomes visible only on finish() (abort() or never finishing
 * leaves nothing behind). Methods may answer synchronously or with a promise.
 */
import type { CacheKey, CompactCacheKey } from './key.ts';
import type { CacheMeta } from './meta.ts';

type MaybePromise<T> = T | Promise<T>;

/** Why an asset is purged: an eviction (space) or an invalidation (purge request). */
export type PurgeType = 'eviction' | 'invalidation';

export interface HitHandler {
  /**
   * The next piece of the body, null at its end. A promise only when the
   * bytes are not there yet (an asset still being written, a remote store).
   * Rejects with a PingoraError when the writer of a partial asset failed.
   */
  readBody(): MaybePromise<Buffer | null>;
  /** Whether seek() works. */
  canSeek(): boolean;
  /** Restricts reading to bytes [start, end) of the body (end default: its end). */
  seek(start: number, end?: number): void;
  /** Done reading (releases what the handler holds). */
  finish(): void;
  /** The body length when known (a finished asset), else undefined. */
  readonly bodyLength: number | undefined;
}

export interface MissFinish {
  /** Bytes stored. */
  readonly size: number;
}

export interface MissHandler {
  /** Appends body bytes (`eof` on the last piece). */
  writeBody(data: Buffer, eof: boolean): MaybePromise<void>;
  /** Makes the asset visible. Returns its size. */
  finish(): MaybePromise<MissFinish>;
  /** Discards what was written; readers of the partial asset get an error. */
  abort(): void;
}

export interface LookupResult {
  readonly meta: CacheMeta;
  readonly hit: HitHandler;
}

export interface Storage {
  /** Finds the asset of `key` (its combined key: primary + variance). */
  lookup(key: CacheKey): MaybePromise<LookupResult | undefined>;
  /** Starts writing the asset of `key` with `meta`. */
  getMissHandler(key: CacheKey, meta: CacheMeta): MaybePromise<MissHandler>;
  /** Removes an asset; true when it was there. A primary key purges its variants too. */
  purge(key: CompactCacheKey, type: PurgeType): MaybePromise<boolean>;
  /** Replaces the stored meta of `key` (after a revalidation); false when absent. */
  updateMeta(key: CacheKey, meta: CacheMeta): MaybePromise<boolean>;
  /** Whether lookup() also finds assets still being written, whose body reads follow the writer. */
  readonly supportsStreamingPartialWrite: boolean;
}
