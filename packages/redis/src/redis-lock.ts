/**
 * RedisCacheLock: the cache lock across proxy instances (beyond Pingora,
 * whose lock is per process), a CacheKeyLock with the local lock's statuses
 * and rules. The first to SET the key (NX semantics, PX = age timeout)
 * writes; the others read it and poll, one GET per key per interval per
 * process however many wait. Releasing leaves the status (`s:Done`, ...) for
 * the readers; a lock that outlived its age timeout has expired and readers
 * compete again. A request that missed just before a writer finished finds
 * `s:Done` and looks up again instead of fetching a second time.
 */
import { randomBytes } from 'node:crypto';
import {
  type CacheKey,
  type CacheKeyLock,
  type CacheKeyLockOptions,
  type CacheReadLock,
  type CacheWritePermit,
  LockStatus,
} from '@pingora-ts/cache';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { redisCacheBypassChannel } from './redis-events.ts';
import { type RedisLike, RedisScript, replyBuffer } from './redis-like.ts';

export interface RedisCacheLockOptions {
  /** How long a writer may hold a key before readers stop trusting it (the key's PX). */
  ageTimeoutMs: number;
  /** Default wait limit of a reader. Default: ageTimeoutMs. */
  waitTimeoutMs?: number | undefined;
  /** How often waiting readers of a key ask Redis (one GET per key per process). Default 10 ms. */
  pollIntervalMs?: number | undefined;
  /** How long a release status stays for readers to see. Default: ageTimeoutMs. */
  statusTtlMs?: number | undefined;
  /** Key prefix. Default `pingora:lock:`. */
  keyPrefix?: string | undefined;
  /** The clock (ms) lock waits are measured with. Default Date.now. */
  now?: (() => number) | undefined;
}

/**
 * KEYS: lock. ARGV: token, age ms, '1' when a recent Done may be answered.
 * Returns 'w' to the new writer, 's:Done' when the key was just filled (look
 * up again), else the holder's token.
 */
const ACQUIRE = new RedisScript(`
local v = redis.call('GET', KEYS[1])
if v then
  if string.sub(v, 1, 2) ~= 's:' then return v end
  if v == 's:Done' and ARGV[3] == '1' then return v end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'w'`);

/** KEYS: lock. ARGV: token, status, ttl ms. Only the holder releases. */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 's:' .. ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`);

export type RedisLocked =
  | { readonly kind: 'write'; readonly permit: RedisWritePermit }
  | { readonly kind: 'read'; readonly lock: RedisReadLock };

export class RedisWritePermit implements CacheWritePermit {
  readonly #lock: RedisCacheLock;
  readonly #key: string;
  readonly #token: string;
  #released = false;

  /** Made by RedisCacheLock's lock calls, not by users. */
  constructor(lock: RedisCacheLock, key: string, token: string) {
    this.#lock = lock;
    this.#key = key;
    this.#token = token;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Releases the key with `status` (readers see it at their next poll). Idempotent; never rejects. */
  async release(status: LockStatus): Promise<void> {
    if (status === LockStatus.Waiting) {
      throw PingoraError.explain(ErrorType.InternalError, 'cannot release a lock as Waiting');
    }
    if (this.#released) return;
    this.#released = true;
    if (this.#token === '') return; // a lock taken while Redis was unreachable
    await this.#lock.redis
      .evalScript(RELEASE, [this.#key], [this.#token, status, this.#lock.statusTtlMs])
      .catch(() => undefined); // unreachable: the key expires at its age timeout
  }
}

interface Waiter {
  readonly token: string;
  readonly resolve: (s: LockStatus) => void;
  readonly timer: NodeJS.Timeout;
}

export class RedisReadLock implements CacheReadLock {
  readonly #lock: RedisCacheLock;
  readonly #key: string;
  readonly #token: string;

  /** Made by RedisCacheLock's lock calls, not by users; `token` is the writer's, or '' for a key found already filled (Done). */
  constructor(lock: RedisCacheLock, key: string, token: string) {
    this.#lock = lock;
    this.#key = key;
    this.#token = token;
  }

  /** Waits until the writer releases, `timeoutMs` passes, or the lock ages out. */
  wait(timeoutMs: number): Promise<LockStatus> {
    if (this.#token === '') return Promise.resolve(LockStatus.Done);
    return this.#lock.waitFor(this.#key, this.#token, Math.max(0, timeoutMs));
  }
}

const STATUS: Record<string, LockStatus> = {
  Done: LockStatus.Done,
  TransientError: LockStatus.TransientError,
  GiveUp: LockStatus.GiveUp,
  Dangling: LockStatus.Dangling,
};

export class RedisCacheLock implements CacheKeyLock {
  readonly redis: RedisLike;
  readonly now: () => number;
  readonly ageTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly statusTtlMs: number;
  readonly #poll: number;
  readonly #prefix: string;
  /** Waiting readers by lock key: one poll per key serves them all. */
  readonly #waiting = new Map<string, Set<Waiter>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: RedisLike, options: RedisCacheLockOptions) {
    this.redis = redis;
    this.ageTimeoutMs = options.ageTimeoutMs;
    this.waitTimeoutMs = options.waitTimeoutMs ?? options.ageTimeoutMs;
    this.statusTtlMs = options.statusTtlMs ?? options.ageTimeoutMs;
    this.#poll = options.pollIntervalMs ?? 10;
    this.#prefix = options.keyPrefix ?? 'pingora:lock:';
    this.now = options.now ?? Date.now;
    for (const [name, v] of [
      ['ageTimeoutMs', this.ageTimeoutMs],
      ['waitTimeoutMs', this.waitTimeoutMs],
      ['statusTtlMs', this.statusTtlMs],
      ['pollIntervalMs', this.#poll],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0) {
        throw PingoraError.explain(
          ErrorType.ConfigError,
          `RedisCacheLock ${name} must be > 0, got ${v}`,
        );
      }
    }
  }

  /**
   * Locks `key`: a write permit for the first caller across all instances, a
   * read lock for the others. When Redis is unreachable the caller writes
   * (fetches on its own: the cache then fails open, as without a lock).
   */
  async lock(key: CacheKey, options?: CacheKeyLockOptions): Promise<RedisLocked> {
    const k = `${this.#prefix}${key.combinedHex()}`;
    const token = randomBytes(12).toString('hex');
    const mayBeDone = options?.relock === true || options?.staleWriter === true ? '0' : '1';
    let r: Buffer | undefined;
    try {
      r = replyBuffer(
        await this.redis.evalScript(ACQUIRE, [k], [token, this.ageTimeoutMs, mayBeDone]),
      );
    } catch {
      if (redisCacheBypassChannel.hasSubscribers) redisCacheBypassChannel.publish({ op: 'lock' });
      return { kind: 'write', permit: new RedisWritePermit(this, k, '') };
    }
    const v = r?.toString('latin1');
    if (v === 'w') return { kind: 'write', permit: new RedisWritePermit(this, k, token) };
    // 's:Done': filled a moment ago, the read lock answers Done at once (look up again)
    if (v === undefined || v === 's:Done') {
      return { kind: 'read', lock: new RedisReadLock(this, k, '') };
    }
    return { kind: 'read', lock: new RedisReadLock(this, k, v) };
  }

  /** Readers currently waiting in this process. */
  get waiting(): number {
    let n = 0;
    for (const s of this.#waiting.values()) n += s.size;
    return n;
  }

  /** @internal */
  waitFor(key: string, token: string, timeoutMs: number): Promise<LockStatus> {
    return new Promise((resolve) => {
      let set = this.#waiting.get(key);
      if (set === undefined) {
        set = new Set();
        this.#waiting.set(key, set);
      }
      const waiters = set;
      const w: Waiter = {
        token,
        resolve,
        timer: setTimeout(() => {
          waiters.delete(w);
          if (waiters.size === 0) this.#waiting.delete(key);
          resolve(LockStatus.WaitTimeout);
        }, timeoutMs),
      };
      waiters.add(w);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiting.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#pollAll();
    }, this.#poll);
  }

  async #pollAll(): Promise<void> {
    const keys = [...this.#waiting.keys()];
    // all GETs leave in one write (pipelined) and are answered together
    const replies = await Promise.all(
      keys.map((k) => this.redis.send(['GET', k]).then(replyBuffer, () => null)),
    );
    keys.forEach((k, i) => {
      const r = replies[i];
      const set = this.#waiting.get(k);
      if (set === undefined) return;
      for (const w of set) {
        const s = r === null ? LockStatus.WaitTimeout : statusOf(r, w.token);
        if (s === LockStatus.Waiting) continue;
        clearTimeout(w.timer);
        set.delete(w);
        w.resolve(s);
      }
      if (set.size === 0) this.#waiting.delete(k);
    });
    this.#schedule();
  }
}

/** The status a reader of `token` sees in the lock's value (null reply: Redis failed). */
function statusOf(v: Buffer | undefined, token: string): LockStatus {
  // gone: the writer outlived its age timeout (or the status expired): compete again
  if (v === undefined) return LockStatus.AgeTimeout;
  const s = v.toString('latin1');
  if (s.startsWith('s:')) return STATUS[s.slice(2)] ?? LockStatus.Dangling;
  return s === token ? LockStatus.Waiting : LockStatus.AgeTimeout;
}
