/**
 * CacheLock: one request fetches a missing or expired asset, the others
 * wait for it (Pingora's lock.rs). The first to lock a key gets a
 * WritePermit, later ones a ReadLock to wait on. Readers wait at most
 * `waitTimeoutMs` (the caller sums it over re-locks) and never on a lock
 * older than `ageTimeoutMs`: such a lock is replaced and its writer loses
 * the key. A writer that ends without a result releases as Dangling and the
 * readers compete again. Timers are setTimeout (fake clocks in tests).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { CacheKey } from './key.ts';
import type { CacheKeyLock, CacheReadLock, CacheWritePermit } from './key-lock.ts';

export const LockStatus = {
  /** The writer is still working. */
  Waiting: 'Waiting',
  /** The writer stored the asset (or its head, on a streaming storage): look up again. */
  Done: 'Done',
  /** The writer failed in a way that may pass: a reader becomes the next writer. */
  TransientError: 'TransientError',
  /** The asset is not cacheable: readers go upstream on their own, without cache. */
  GiveUp: 'GiveUp',
  /** The writer went away without a result: compete again. */
  Dangling: 'Dangling',
  /** This reader waited longer than its wait timeout. */
  WaitTimeout: 'WaitTimeout',
  /** The lock was older than the age timeout and was replaced. */
  AgeTimeout: 'AgeTimeout',
} as const;
export type LockStatus = (typeof LockStatus)[keyof typeof LockStatus];

export interface CacheLockOptions {
  /** How long a writer may hold a key before readers stop trusting it. Pingora's tests use 1 s. */
  ageTimeoutMs: number;
  /** Default wait limit of a reader (cumulative per request). Default: ageTimeoutMs. */
  waitTimeoutMs?: number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
}

class LockCore {
  status: LockStatus = LockStatus.Waiting;
  readonly createdAt: number;
  #waiters: ((s: LockStatus) => void)[] = [];

  constructor(createdAt: number) {
    this.createdAt = createdAt;
  }

  addWaiter(f: (s: LockStatus) => void): void {
    this.#waiters.push(f);
  }

  removeWaiter(f: (s: LockStatus) => void): void {
    const i = this.#waiters.indexOf(f);
    if (i !== -1) this.#waiters.splice(i, 1);
  }

  unlock(status: LockStatus): void {
    if (this.status !== LockStatus.Waiting) return;
    this.status = status;
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f(status);
  }
}

export class WritePermit implements CacheWritePermit {
  readonly #lock: CacheLock;
  readonly #key: string;
  /** @internal */
  readonly core: LockCore;

  /** Made by CacheLock's lock calls, not by users. */
  constructor(lock: CacheLock, key: string, core: LockCore) {
    this.#lock = lock;
    this.#key = key;
    this.core = core;
  }

  /** Whether the permit was released (or replaced after its age timeout). */
  get released(): boolean {
    return this.core.status !== LockStatus.Waiting;
  }

  /** Releases the key with `status`; readers wake. Idempotent. */
  release(status: LockStatus): void {
    if (status === LockStatus.Waiting) {
      throw PingoraError.explain(ErrorType.InternalError, 'cannot release a lock as Waiting');
    }
    this.#lock.remove(this.#key, this.core);
    this.core.unlock(status);
  }
}

export class ReadLock implements CacheReadLock {
  readonly #lock: CacheLock;
  readonly #key: string;
  readonly #core: LockCore;

  /** Made by CacheLock's lock calls, not by users. */
  constructor(lock: CacheLock, key: string, core: LockCore) {
    this.#lock = lock;
    this.#key = key;
    this.#core = core;
  }

  /** Waits until the writer releases, or `timeoutMs` passes, or the lock ages out. */
  wait(timeoutMs: number): Promise<LockStatus> {
    const core = this.#core;
    if (core.status !== LockStatus.Waiting) return Promise.resolve(core.status);
    const lock = this.#lock;
    const ageLeft = core.createdAt + lock.ageTimeoutMs - lock.now();
    if (ageLeft <= 0) return Promise.resolve(this.#ageOut());
    const limit = Math.max(0, timeoutMs);
    return new Promise((resolve) => {
      const onRelease = (s: LockStatus) => {
        clearTimeout(timer);
        resolve(s);
      };
      const timer = setTimeout(
        () => {
          core.removeWaiter(onRelease);
          resolve(ageLeft <= limit ? this.#ageOut() : LockStatus.WaitTimeout);
        },
        Math.min(ageLeft, limit),
      );
      core.addWaiter(onRelease);
    });
  }

  #ageOut(): LockStatus {
    // the writer took too long: free the key so a new writer can be elected
    this.#lock.remove(this.#key, this.#core);
    this.#core.unlock(LockStatus.AgeTimeout);
    return LockStatus.AgeTimeout;
  }

  /** The current status (Waiting while the writer works). */
  get status(): LockStatus {
    return this.#core.status;
  }
}

export type Locked =
  | { readonly kind: 'write'; readonly permit: WritePermit }
  | { readonly kind: 'read'; readonly lock: ReadLock };

/** The local lock (one process): synchronous, so it costs no promise on the request path. */
export class CacheLock implements CacheKeyLock {
  readonly ageTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly now: () => number;
  readonly #table = new Map<string, LockCore>();

  constructor(options: CacheLockOptions) {
    const { ageTimeoutMs, waitTimeoutMs = ageTimeoutMs, now = Date.now } = options;
    for (const [name, v] of [
      ['ageTimeoutMs', ageTimeoutMs],
      ['waitTimeoutMs', waitTimeoutMs],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0) {
        throw PingoraError.explain(
          ErrorType.ConfigError,
          `CacheLock ${name} must be > 0, got ${v}`,
        );
      }
    }
    this.ageTimeoutMs = ageTimeoutMs;
    this.waitTimeoutMs = waitTimeoutMs;
    this.now = now;
  }

  /** Keys currently locked. */
  get size(): number {
    return this.#table.size;
  }

  /** Locks `key`: a WritePermit for the first caller, a ReadLock for the others. */
  lock(key: CacheKey): Locked {
    const k = key.combinedHex();
    const now = this.now();
    const existing = this.#table.get(k);
    if (existing !== undefined && existing.status === LockStatus.Waiting) {
      if (now - existing.createdAt < this.ageTimeoutMs) {
        return { kind: 'read', lock: new ReadLock(this, k, existing) };
      }
      existing.unlock(LockStatus.AgeTimeout);
    }
    const core = new LockCore(now);
    this.#table.set(k, core);
    return { kind: 'write', permit: new WritePermit(this, k, core) };
  }

  /** @internal removes `core` from the table if it is still the lock of `key`. */
  remove(key: string, core: LockCore): void {
    if (this.#table.get(key) === core) this.#table.delete(key);
  }
}
