/**
 * PoolEntry: one idle connection's node, linked into three intrusive doubly
 * linked lists at once (its key's list, the global LRU list and its idle
 * timeout bucket), so that every removal is O(1) and needs no search.
 * Entries are recycled through a small free list to spare the GC.
 */
import type { IdleEntry, IdleGoneReason, IdleWatch } from './idle-watch.ts';

/** What an entry calls back into when its watcher reports it gone. */
export interface EntryOwner<T, K> {
  entryGone(entry: PoolEntry<T, K>, reason: IdleGoneReason): void;
}

export class PoolEntry<T, K> implements IdleEntry {
  conn: T | undefined = undefined;
  key: K | undefined = undefined;
  watch: IdleWatch<T> | undefined = undefined;
  /** Set while the entry is in a pool; cleared when it leaves. */
  owner: EntryOwner<T, K> | undefined = undefined;
  group: KeyGroup<T, K> | undefined = undefined;
  keyPrev: PoolEntry<T, K> | undefined = undefined;
  keyNext: PoolEntry<T, K> | undefined = undefined;
  lruPrev: PoolEntry<T, K> | undefined = undefined;
  lruNext: PoolEntry<T, K> | undefined = undefined;
  bucket: TimeoutBucket<T, K> | undefined = undefined;
  timePrev: PoolEntry<T, K> | undefined = undefined;
  timeNext: PoolEntry<T, K> | undefined = undefined;
  /** Pool clock ms after which the entry times out; Infinity for never. */
  deadline = Number.POSITIVE_INFINITY;

  gone(reason: IdleGoneReason): void {
    // A late report after the entry left the pool is harmless: ignore it.
    this.owner?.entryGone(this, reason);
  }
}

/** The idle connections of one key, newest at the tail (handed out first). */
export class KeyGroup<T, K> {
  head: PoolEntry<T, K> | undefined = undefined;
  tail: PoolEntry<T, K> | undefined = undefined;
  size = 0;

  push(entry: PoolEntry<T, K>): void {
    entry.group = this;
    entry.keyPrev = this.tail;
    entry.keyNext = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.keyNext = entry;
    this.tail = entry;
    this.size++;
  }

  unlink(entry: PoolEntry<T, K>): void {
    const { keyPrev, keyNext } = entry;
    if (keyPrev === undefined) this.head = keyNext;
    else keyPrev.keyNext = keyNext;
    if (keyNext === undefined) this.tail = keyPrev;
    else keyNext.keyPrev = keyPrev;
    entry.keyPrev = entry.keyNext = undefined;
    entry.group = undefined;
    this.size--;
  }
}

/** Idle connections sharing one idle timeout: deadlines grow from head to tail. */
export class TimeoutBucket<T, K> {
  readonly timeoutMs: number;
  head: PoolEntry<T, K> | undefined = undefined;
  tail: PoolEntry<T, K> | undefined = undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  push(entry: PoolEntry<T, K>): void {
    entry.bucket = this;
    entry.timePrev = this.tail;
    entry.timeNext = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.timeNext = entry;
    this.tail = entry;
  }

  unlink(entry: PoolEntry<T, K>): void {
    const { timePrev, timeNext } = entry;
    if (timePrev === undefined) this.head = timeNext;
    else timePrev.timeNext = timeNext;
    if (timeNext === undefined) this.tail = timePrev;
    else timeNext.timePrev = timePrev;
    entry.timePrev = entry.timeNext = undefined;
    entry.bucket = undefined;
  }
}

/** The global recency order across all keys: least recently pooled at the head. */
export class LruList<T, K> {
  head: PoolEntry<T, K> | undefined = undefined;
  tail: PoolEntry<T, K> | undefined = undefined;

  push(entry: PoolEntry<T, K>): void {
    entry.lruPrev = this.tail;
    entry.lruNext = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.lruNext = entry;
    this.tail = entry;
  }

  unlink(entry: PoolEntry<T, K>): void {
    const { lruPrev, lruNext } = entry;
    if (lruPrev === undefined) this.head = lruNext;
    else lruPrev.lruNext = lruNext;
    if (lruNext === undefined) this.tail = lruPrev;
    else lruNext.lruPrev = lruPrev;
    entry.lruPrev = entry.lruNext = undefined;
  }
}
