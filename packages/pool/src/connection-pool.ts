/**
 * ConnectionPool: idle connections kept for reuse, keyed by a peer's reuse
 * hash (mirrors pingora-pool's ConnectionPool). One global size limit with
 * least-recently-pooled eviction across all keys, a per-connection idle
 * timeout on a shared timer, and an IdleWatch that removes connections the
 * upstream closes or writes to while idle. get and put are O(1).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { systemClock, type TimerClock } from '@pingora-ts/timeout';
import { IdleTimer, type TimerOwner } from './idle-timer.ts';
import type { IdleGoneReason, IdleWatch, PoolDropReason } from './idle-watch.ts';
import { type EntryOwner, KeyGroup, LruList, PoolEntry } from './pool-entry.ts';

export interface ConnectionPoolOptions {
  /**
   * The most idle connections kept across all keys (Pingora's
   * upstream_keepalive_pool_size); the least recently pooled one is evicted
   * to make room. 0 disables pooling.
   */
  maxSize: number;
  /** Where idle deadlines read the time and arm their one timer (default: the process clock). */
  clock?: TimerClock | undefined;
}

export interface PutOptions<T> {
  /**
   * How long the connection may stay idle before the pool closes it.
   * Undefined or Infinity: no idle timeout. 0: do not pool it at all.
   */
  idleTimeoutMs?: number | undefined;
  /** Watches the connection while idle and closes what the pool drops. */
  watch?: IdleWatch<T> | undefined;
}

/** Running totals since the pool was created; plain fields, read them at will. */
export interface PoolStats {
  /** Connections accepted by put. */
  puts: number;
  /** put calls that were refused (pooling disabled, timeout 0, pool closed). */
  rejected: number;
  /** get calls that returned a connection. */
  hits: number;
  /** get calls that found nothing. */
  misses: number;
  /** Connections dropped to respect the size limit. */
  evicted: number;
  /** Connections dropped when their idle timeout passed. */
  idleTimeouts: number;
  /** Connections the upstream closed (or that failed) while idle. */
  closedWhileIdle: number;
  /** Connections on which bytes arrived while idle. */
  unexpectedData: number;
}

/** Recycled entries kept at most; beyond this, entries are left to the GC. */
const FREE_LIST_MAX = 1024;

export class ConnectionPool<T, K = string> implements EntryOwner<T, K>, TimerOwner<T, K> {
  readonly maxSize: number;
  readonly stats: PoolStats = {
    puts: 0,
    rejected: 0,
    hits: 0,
    misses: 0,
    evicted: 0,
    idleTimeouts: 0,
    closedWhileIdle: 0,
    unexpectedData: 0,
  };
  readonly #groups = new Map<K, KeyGroup<T, K>>();
  readonly #lru = new LruList<T, K>();
  readonly #timer: IdleTimer<T, K>;
  readonly #freeEntries: PoolEntry<T, K>[] = [];
  readonly #freeGroups: KeyGroup<T, K>[] = [];
  #count = 0;
  #closed = false;

  constructor(options: ConnectionPoolOptions) {
    const { maxSize } = options;
    if (!Number.isSafeInteger(maxSize) || maxSize < 0) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `connection pool size must be a whole number >= 0, got ${String(maxSize)}`,
      );
    }
    this.maxSize = maxSize;
    this.#timer = new IdleTimer<T, K>(this, options.clock ?? systemClock);
  }

  /** Idle connections held now, across all keys. */
  get size(): number {
    return this.#count;
  }

  /** Keys that have at least one idle connection. */
  get keyCount(): number {
    return this.#groups.size;
  }

  /** Idle connections held now under `key`. */
  sizeOf(key: K): number {
    return this.#groups.get(key)?.size ?? 0;
  }

  /**
   * Offers an idle connection for reuse under `key`. Returns true if the pool
   * took it (it now owns and eventually closes it through `watch.close`), false
   * if it refused (the caller still owns it and should close it). Putting a
   * connection that is already in the pool is a caller bug.
   */
  put(key: K, conn: T, options: PutOptions<T> = {}): boolean {
    const timeoutMs = options.idleTimeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `idle timeout must be a number of ms >= 0, got ${String(timeoutMs)}`,
      );
    }
    if (this.#closed || this.maxSize === 0 || timeoutMs === 0) {
      this.stats.rejected++;
      return false;
    }
    const entry = this.#freeEntries.pop() ?? new PoolEntry<T, K>();
    entry.conn = conn;
    entry.key = key;
    entry.owner = this;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = this.#freeGroups.pop() ?? new KeyGroup<T, K>();
      this.#groups.set(key, group);
    }
    group.push(entry);
    this.#lru.push(entry);
    this.#count++;
    this.stats.puts++;
    if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) {
      this.#timer.add(entry, timeoutMs);
    }
    const watch = options.watch;
    if (watch !== undefined) {
      entry.watch = watch;
      watch.watch(conn, entry);
    }
    // Bounded: each pass removes one entry and count only exceeds by one.
    while (this.#count > this.maxSize && this.#lru.head !== undefined) {
      this.stats.evicted++;
      this.#drop(this.#lru.head, 'evicted');
    }
    return true;
  }

  /**
   * Takes an idle connection pooled under `key`, the most recently pooled
   * first (it is the least likely to have been closed by the upstream).
   * Its watch is stopped before it is returned.
   */
  get(key: K): T | undefined {
    const group = this.#groups.get(key);
    const entry = group?.tail;
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    const conn = entry.conn as T;
    const watch = this.#detach(entry);
    watch?.unwatch(conn);
    this.#recycle(entry);
    return conn;
  }

  /** Closes and forgets every idle connection; later puts are refused. */
  close(): void {
    this.#closed = true;
    // Bounded: each pass removes the head of a finite list.
    while (this.#lru.head !== undefined) this.#drop(this.#lru.head, 'pool-closed');
    this.#timer.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** EntryOwner: the entry's watcher reported the connection unusable (called by the entry, not by users). */
  entryGone(entry: PoolEntry<T, K>, reason: IdleGoneReason): void {
    if (entry.owner !== this) return;
    if (reason === 'unexpected-data') this.stats.unexpectedData++;
    else this.stats.closedWhileIdle++;
    this.#drop(entry, reason);
  }

  /** TimerOwner: the shared timer found the entry past its idle deadline (called by the timer, not by users). */
  entryExpired(entry: PoolEntry<T, K>): void {
    this.stats.idleTimeouts++;
    this.#drop(entry, 'idle-timeout');
  }

  #drop(entry: PoolEntry<T, K>, reason: PoolDropReason): void {
    const conn = entry.conn as T;
    const watch = this.#detach(entry);
    this.#recycle(entry);
    if (watch !== undefined) {
      watch.unwatch(conn);
      watch.close(conn, reason);
    }
  }

  /** Unlinks the entry from every list; returns its watch, if any. */
  #detach(entry: PoolEntry<T, K>): IdleWatch<T> | undefined {
    const group = entry.group;
    if (group !== undefined) {
      group.unlink(entry);
      if (group.size === 0) {
        // Forget empty keys so that many short-lived peers do not grow the map.
        this.#groups.delete(entry.key as K);
        if (this.#freeGroups.length < FREE_LIST_MAX) this.#freeGroups.push(group);
      }
    }
    this.#lru.unlink(entry);
    this.#timer.remove(entry);
    this.#count--;
    const watch = entry.watch;
    entry.watch = undefined;
    return watch;
  }

  #recycle(entry: PoolEntry<T, K>): void {
    entry.conn = undefined;
    entry.key = undefined;
    entry.owner = undefined;
    if (this.#freeEntries.length < FREE_LIST_MAX) this.#freeEntries.push(entry);
  }
}
