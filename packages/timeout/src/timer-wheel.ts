/**
 * TimerWheel: Pingora's pingora-timeout idea for Node. A proxy holds many
 * timeouts that almost never fire and are re-armed all the time (every read
 * pushes a body deadline out); one native timer each would cost a timer
 * insert per re-arm. Here deadlines are rounded up to `resolutionMs` ticks,
 * entries sharing a tick share one slot, and one driver timer (from the
 * injected TimerClock) is armed for the earliest slot. Re-arming to a later
 * deadline is two field writes: the entry stays in its earlier slot and is
 * moved when that slot comes due. Deadlines fire never early and at most one
 * tick late (plus event-loop delay).
 */
import { type ClockTimer, systemClock, type TimerClock } from './clock.ts';
import { TickHeap } from './tick-heap.ts';

/** Something with at most one armed deadline on a wheel; the wheel owns both fields. */
export interface WheelEntry {
  /** Clock ms when the armed deadline passes; 0 when none is armed. */
  deadline: number;
  /** The tick of the slot the entry is filed in; 0 when in none. Initialise to 0. */
  wheelTick: number;
  /** Called once when the armed deadline has passed (it is disarmed first). */
  onDeadline(): void;
}

export interface TimerWheelOptions {
  /** Where time and the driver timer come from (default: the process clock). */
  clock?: TimerClock;
  /** Tick length: deadlines are rounded up to it (default 10 ms, as Pingora). */
  resolutionMs?: number;
}

/** Emptied slot arrays kept for reuse, at most this many. */
const MAX_SPARE_SLOTS = 64;

export class TimerWheel {
  readonly clock: TimerClock;
  readonly resolutionMs: number;
  readonly #slots = new Map<number, WheelEntry[]>();
  readonly #ticks = new TickHeap();
  readonly #spare: WheelEntry[][] = [];
  #driver: ClockTimer | undefined;
  /** The tick the driver is armed for; Infinity when not armed. */
  #armedTick = Number.POSITIVE_INFINITY;
  #firing = false;
  readonly #onDriver = (): void => this.#fire();

  constructor(options: TimerWheelOptions = {}) {
    const resolution = options.resolutionMs ?? 10;
    if (!(resolution > 0) || !Number.isFinite(resolution)) {
      throw new RangeError(`resolutionMs must be a positive number, got ${resolution}`);
    }
    this.clock = options.clock ?? systemClock;
    this.resolutionMs = resolution;
  }

  /** The wheel clock's time in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Entries filed (armed ones, plus disarmed ones not yet swept). */
  get filed(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += slot.length;
    return n;
  }

  /**
   * Arms `entry`'s deadline `ms` from now, replacing an armed one. `ms` <= 0,
   * NaN or Infinity disarms (no deadline).
   */
  arm(entry: WheelEntry, ms: number): void {
    if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) {
      entry.deadline = 0;
      return;
    }
    const deadline = this.clock.now() + ms;
    entry.deadline = deadline;
    const tick = Math.ceil(deadline / this.resolutionMs);
    const filed = entry.wheelTick;
    // Filed no later than the new deadline: that slot will look at it again.
    if (filed !== 0 && filed <= tick) return;
    // Filed later (rare: a shorter timeout replaces a longer one): leave that
    // slot now, so an entry is listed once and nothing outlives its release.
    if (filed !== 0) this.#unfile(entry, filed);
    this.#file(entry, tick);
  }

  /** Disarms `entry`; it leaves its slot when the slot comes due. */
  disarm(entry: WheelEntry): void {
    entry.deadline = 0;
  }

  /**
   * Disarms `entry` and takes it out of its slot now, for an entry that goes
   * away for good (a closed connection): a lazily disarmed one stays
   * referenced until its slot comes due, which with long keep-alive
   * timeouts and many short connections holds thousands of dead sessions.
   * Costs a scan of one slot (the entries sharing its tick).
   */
  release(entry: WheelEntry): void {
    entry.deadline = 0;
    const tick = entry.wheelTick;
    if (tick !== 0) this.#unfile(entry, tick);
  }

  /** Calls `callback` once after `ms` (coarsely); the returned timer can be cancelled or refreshed. */
  schedule(ms: number, callback: () => void): WheelTimer {
    const timer = new WheelTimer(this, callback);
    timer.refresh(ms);
    return timer;
  }

  /**
   * Resolves after `ms` (coarsely); rejects with the signal's reason when it aborts first.
   * Like every wheel timer it does not keep the process alive (the driver timer is unref'd).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.schedule(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drops every filed entry without firing it and stops the driver. */
  clear(): void {
    for (const slot of this.#slots.values()) for (const e of slot) e.wheelTick = 0;
    this.#slots.clear();
    this.#ticks.clear();
    this.#disarmDriver();
  }

  #file(entry: WheelEntry, tick: number): void {
    entry.wheelTick = tick;
    let slot = this.#slots.get(tick);
    if (slot === undefined) {
      slot = this.#spare.pop() ?? [];
      this.#slots.set(tick, slot);
      this.#ticks.push(tick);
      if (tick < this.#armedTick && !this.#firing) this.#armDriver(tick);
    }
    slot.push(entry);
  }

  /** Takes `entry` out of the slot of `tick` (order within a slot does not matter). */
  #unfile(entry: WheelEntry, tick: number): void {
    const slot = this.#slots.get(tick);
    const i = slot === undefined ? -1 : slot.lastIndexOf(entry);
    // Not filed here (a wheel swapped since, in tests): its own wheel sweeps it.
    if (slot === undefined || i < 0) return;
    const last = slot.pop() as WheelEntry;
    if (i < slot.length) slot[i] = last;
    entry.wheelTick = 0;
  }

  #fire(): void {
    this.#driver = undefined;
    this.#armedTick = Number.POSITIVE_INFINITY;
    this.#firing = true;
    const res = this.resolutionMs;
    try {
      const now = this.clock.now();
      const due = Math.floor(now / res);
      // Bounded: every pass removes one tick, and ticks filed now are later than `due`.
      for (let tick = this.#ticks.peek(); tick !== undefined && tick <= due; ) {
        this.#ticks.pop();
        const slot = this.#slots.get(tick);
        this.#slots.delete(tick);
        if (slot !== undefined) this.#sweep(slot, tick, now, res);
        tick = this.#ticks.peek();
      }
    } finally {
      this.#firing = false;
      const next = this.#ticks.peek();
      if (next !== undefined) this.#armDriver(next);
    }
  }

  #sweep(slot: WheelEntry[], tick: number, now: number, res: number): void {
    for (let i = 0; i < slot.length; i++) {
      const entry = slot[i] as WheelEntry;
      // Released, or filed in another wheel since (a test swapped wheels): not this slot's.
      if (entry.wheelTick !== tick) continue;
      const deadline = entry.deadline;
      if (deadline === 0) {
        entry.wheelTick = 0;
      } else if (deadline <= now) {
        entry.wheelTick = 0;
        entry.deadline = 0;
        try {
          entry.onDeadline();
        } catch (err) {
          // One failing callback must not strand the others; it surfaces as a timer callback's would.
          process.nextTick(() => {
            throw err;
          });
        }
      } else {
        // Pushed out since it was filed: move it to the slot of its deadline.
        this.#file(entry, Math.ceil(deadline / res));
      }
    }
    slot.length = 0;
    if (this.#spare.length < MAX_SPARE_SLOTS) this.#spare.push(slot);
  }

  #armDriver(tick: number): void {
    if (this.#driver !== undefined) this.clock.clearTimer(this.#driver);
    this.#armedTick = tick;
    this.#driver = this.clock.setTimer(this.#onDriver, tick * this.resolutionMs - this.clock.now());
  }

  #disarmDriver(): void {
    if (this.#driver !== undefined) this.clock.clearTimer(this.#driver);
    this.#driver = undefined;
    this.#armedTick = Number.POSITIVE_INFINITY;
  }
}

/** A callback timer on a wheel: `schedule()` returns one. */
export class WheelTimer implements WheelEntry {
  deadline = 0;
  wheelTick = 0;
  readonly #wheel: TimerWheel;
  readonly #callback: () => void;

  constructor(wheel: TimerWheel, callback: () => void) {
    this.#wheel = wheel;
    this.#callback = callback;
  }

  /** True while armed and not yet fired. */
  get pending(): boolean {
    return this.deadline !== 0;
  }

  /** Re-arms the timer `ms` from now (after firing or cancelling too). */
  refresh(ms: number): void {
    this.#wheel.arm(this, ms);
  }

  cancel(): void {
    this.#wheel.disarm(this);
  }

  onDeadline(): void {
    this.#callback();
  }
}

let shared: TimerWheel | undefined;

/** The process-wide wheel on the system clock (10 ms ticks) that packages share. */
export function sharedWheel(): TimerWheel {
  shared ??= new TimerWheel();
  return shared;
}
