/**
 * SharedSecret: a few bytes (a TLS ticket key) every thread of a pool reads
 * and any one may replace, in a shared region. A sequence lock keeps readers
 * from seeing half a write; watchers wake on Atomics.waitAsync when the
 * generation moves, so a rotation on one thread reaches every thread without
 * a message. One thread at a time owns the rotation schedule.
 */

/** Region layout: lock, generation (0 never written; odd while writing), rotation owner, bytes. */
const LOCK = 0;
const GENERATION = 1;
const ROTATOR = 2;
const BYTES = 3;
/** Bounds on spins against another thread's short write. */
const MAX_SPINS = 1_000_000;

export class SharedSecret {
  readonly #cells: Int32Array;
  readonly #length: number;

  /** The region length (Int32 cells) a secret of `bytes` bytes needs. */
  static cellsFor(bytes: number): number {
    return BYTES + Math.ceil(bytes / 4);
  }

  /** A view of `region` (from SharedMemory.sharedInt32 with cellsFor(bytes) cells). */
  constructor(region: Int32Array, bytes: number) {
    if (region.length !== SharedSecret.cellsFor(bytes)) {
      throw new RangeError(
        `a shared secret of ${bytes} bytes needs ${SharedSecret.cellsFor(bytes)} cells`,
      );
    }
    this.#cells = region;
    this.#length = bytes;
  }

  /** How many writes there have been (even; 0: none yet). */
  get generation(): number {
    return Atomics.load(this.#cells, GENERATION) & ~1;
  }

  /** Writes `initial` unless a value is already there; returns the value in place. */
  init(initial: Buffer): Buffer {
    this.#locked(() => {
      if (Atomics.load(this.#cells, GENERATION) === 0) this.#store(initial);
    });
    return this.read();
  }

  /** The current bytes (a consistent copy, never half of a write). */
  read(): Buffer {
    const cells = this.#cells;
    const words = new Int32Array(cells.length - BYTES);
    for (let spin = 0; spin < MAX_SPINS; spin++) {
      const before = Atomics.load(cells, GENERATION);
      if ((before & 1) === 1) continue;
      for (let i = 0; i < words.length; i++) words[i] = Atomics.load(cells, BYTES + i);
      if (Atomics.load(cells, GENERATION) === before) {
        return Buffer.from(words.buffer, 0, this.#length);
      }
    }
    throw new RangeError('shared secret: a write by another thread did not finish');
  }

  /** Replaces the bytes; returns the new generation. Watchers on every thread wake. */
  write(bytes: Buffer): number {
    let generation = 0;
    this.#locked(() => {
      generation = this.#store(bytes);
    });
    Atomics.notify(this.#cells, GENERATION);
    return generation;
  }

  /**
   * Claims the rotation schedule for `member` (SharedMemory.memberId): true
   * if no one else holds it (or `member` already does).
   */
  claimRotation(member: number): boolean {
    const prev = Atomics.compareExchange(this.#cells, ROTATOR, 0, member);
    return prev === 0 || prev === member;
  }

  /**
   * Calls `onChange` with the new bytes after each write by another thread
   * (or this one), until the returned function is called. `seen` is the
   * generation the caller already has; `onChange` gets the one it is handed.
   * The wait keeps no event loop alive.
   */
  watch(seen: () => number, onChange: (bytes: Buffer, generation: number) => void): () => void {
    const cells = this.#cells;
    let stopped = false;
    const arm = (): void => {
      if (stopped) return;
      const now = Atomics.load(cells, GENERATION);
      if ((now & 1) === 1) {
        // A write in progress: look again once it is done.
        setImmediate(arm).unref();
        return;
      }
      if (now !== seen()) {
        onChange(this.read(), now);
      }
      const wait = Atomics.waitAsync(cells, GENERATION, now);
      if (wait.async) void wait.value.then(arm);
      else setImmediate(arm).unref();
    };
    arm();
    return () => {
      stopped = true;
    };
  }

  /** Stores `bytes` (under the lock); returns the new generation. */
  #store(bytes: Buffer): number {
    if (bytes.length !== this.#length) {
      throw new RangeError(`shared secret: ${bytes.length} bytes given, ${this.#length} expected`);
    }
    const cells = this.#cells;
    const words = new Int32Array(cells.length - BYTES);
    Buffer.from(words.buffer).set(bytes);
    Atomics.add(cells, GENERATION, 1);
    for (let i = 0; i < words.length; i++) Atomics.store(cells, BYTES + i, words[i] as number);
    return Atomics.add(cells, GENERATION, 1) + 1;
  }

  #locked(fn: () => void): void {
    const cells = this.#cells;
    let spins = 0;
    while (Atomics.compareExchange(cells, LOCK, 0, 1) !== 0) {
      if (++spins > MAX_SPINS)
        throw new RangeError('shared secret: lock held too long by another thread');
    }
    try {
      fn();
    } finally {
      Atomics.store(cells, LOCK, 0);
    }
  }
}
