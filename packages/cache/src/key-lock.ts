/**
 * CacheKeyLock: what HttpCache needs from a cache lock (Pingora's
 * CacheKeyLock trait), so a lock shared by several proxy instances can be
 * plugged in beside the local CacheLock. `lock()` may answer synchronously
 * (the local lock: no promise on the request path) or with a promise (a
 * distributed lock); the statuses and timeout rules are the same.
 */
import type { CacheKey } from './key.ts';
import type { LockStatus } from './lock.ts';

/** The right to fetch a key; the holder releases it with how the fetch went. */
export interface CacheWritePermit {
  /** Whether the permit was released (or lost to its age timeout). */
  readonly released: boolean;
  /**
   * Releases the key with `status` (never Waiting); readers wake. Idempotent.
   * A distributed lock may answer with a promise, which must never reject.
   */
  release(status: LockStatus): void | Promise<void>;
}

/** A place in the queue behind the writer of a key. */
export interface CacheReadLock {
  /**
   * Waits until the writer releases, `timeoutMs` passes (WaitTimeout) or the
   * writer held the key past the age timeout (AgeTimeout). Never rejects.
   */
  wait(timeoutMs: number): Promise<LockStatus>;
}

export type CacheLocked =
  | { readonly kind: 'write'; readonly permit: CacheWritePermit }
  | { readonly kind: 'read'; readonly lock: CacheReadLock };

export interface CacheKeyLockOptions {
  /**
   * This request locked the key before and looked it up again after the
   * wait. A distributed lock that remembers a recent Done (so that a request
   * which missed just before the writer finished looks up again instead of
   * fetching) must not answer Done again: the request writes or waits.
   */
  readonly relock?: boolean | undefined;
  /**
   * The request found the asset expired: its writer revalidates it (Pingora's
   * `stale_writer`). Readers of such a lock may serve stale meanwhile, so a
   * recent Done must not be answered either (nobody would refresh it).
   */
  readonly staleWriter?: boolean | undefined;
}

export interface CacheKeyLock {
  /** How long a writer may hold a key before readers stop trusting it. */
  readonly ageTimeoutMs: number;
  /** How long a request may wait on locks in total (summed over re-locks). */
  readonly waitTimeoutMs: number;
  /** The clock (ms) the wait time is measured with. */
  now(): number;
  /**
   * Locks `key`: a write permit for the first caller, a read lock for the
   * others. A distributed lock answers with a promise that must not reject
   * (fail open: a write permit when its backend is unreachable).
   */
  lock(key: CacheKey, options?: CacheKeyLockOptions): CacheLocked | Promise<CacheLocked>;
}
