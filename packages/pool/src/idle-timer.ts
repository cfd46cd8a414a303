/**
 * IdleTimer: idle timeouts for every pooled connection on one shared timer.
 * Entries are grouped by their timeout value; within a group they join in
 * deadline order, so only each group's head can be due and a put never sorts
 * nor creates a timer. The single timer, from the pool's TimerClock
 * (@pingora-ts/timeout; a ManualClock in tests), is armed for the earliest head.
 */
import type { ClockTimer, TimerClock } from '@pingora-ts/timeout';
import { type PoolEntry, TimeoutBucket } from './pool-entry.ts';

/** Deadlines this close together expire in one sweep: idle timeouts are coarse. */
const SLACK_MS = 1;

export interface TimerOwner<T, K> {
  entryExpired(entry: PoolEntry<T, K>): void;
}

export class IdleTimer<T, K> {
  readonly #owner: TimerOwner<T, K>;
  readonly #buckets = new Map<number, TimeoutBucket<T, K>>();
  readonly #clock: TimerClock;
  #timer: ClockTimer | undefined = undefined;
  /** The deadline the timer is armed for; Infinity when it is not armed. */
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #onTimer = (): void => this.#sweep();

  constructor(owner: TimerOwner<T, K>, clock: TimerClock) {
    this.#owner = owner;
    this.#clock = clock;
  }

  /** Starts `entry`'s idle clock; `timeoutMs` is finite and > 0. */
  add(entry: PoolEntry<T, K>, timeoutMs: number): void {
    const now = this.#clock.now();
    let bucket = this.#buckets.get(timeoutMs);
    if (bucket === undefined) {
      bucket = new TimeoutBucket<T, K>(timeoutMs);
      this.#buckets.set(timeoutMs, bucket);
    }
    const deadline = now + timeoutMs;
    entry.deadline = deadline;
    const wasEmpty = bucket.head === undefined;
    bucket.push(entry);
    // Only a new head can be earlier than what the timer waits for.
    if (wasEmpty && deadline < this.#armedFor) this.#arm(deadline, now);
  }

  /** Stops `entry`'s idle clock (it was taken, evicted or closed). */
  remove(entry: PoolEntry<T, K>): void {
    entry.bucket?.unlink(entry);
    entry.deadline = Number.POSITIVE_INFINITY;
    // The timer may now fire with nothing due; the sweep then re-arms it.
  }

  /** Stops the timer; entries are expected to be removed by the owner. */
  close(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#buckets.clear();
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, bucket] of this.#buckets) {
      let head = bucket.head;
      // Bounded: each pass removes the head, and the bucket is finite.
      while (head !== undefined && head.deadline <= now + SLACK_MS) {
        this.#owner.entryExpired(head); // unlinks head from the bucket
        head = bucket.head;
      }
      if (head === undefined) this.#buckets.delete(timeoutMs);
      else if (head.deadline < next) next = head.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next, this.#clock.now());
  }

  #arm(deadline: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    // The clock caps long delays; an early wake finds nothing due and re-arms.
    this.#armedFor = deadline;
    this.#timer = this.#clock.setTimer(this.#onTimer, Math.max(1, Math.ceil(deadline - now)));
  }
}
