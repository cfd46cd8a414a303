/**
 * Health shared by the server threads of one process (`threads: N`): the
 * leader thread runs the active health checks and publishes each backend's
 * health in the pool's SharedTable; the other threads run none and read it.
 * Outside a thread pool there is no SharedHealth and nothing changes.
 */
import { type SharedTable, serverThread } from '@pingora-ts/runtime';

/** Values in the table: 0 not published yet, then healthy or not. */
const HEALTHY = 1;
const UNHEALTHY = 2;

/** Backends sets built on this thread, numbered in construction order (the same on every thread). */
let nextOrdinal = 0;

export class SharedHealth {
  /** This thread runs the checks and publishes; the others only read. */
  readonly leader: boolean;
  readonly #table: SharedTable;
  readonly #prefix: string;
  readonly #slots = new Map<string, number>();

  private constructor(table: SharedTable, leader: boolean, ordinal: number) {
    this.#table = table;
    this.leader = leader;
    this.#prefix = `lb-health/${ordinal}/`;
  }

  /** The SharedHealth for a new Backends on a server thread, else undefined. */
  static forThisThread(): SharedHealth | undefined {
    const thread = serverThread();
    if (thread === undefined) return undefined;
    return new SharedHealth(thread.shared, thread.leader, nextOrdinal++);
  }

  publish(addr: string, healthy: boolean): void {
    this.#table.store(this.#slot(addr), healthy ? HEALTHY : UNHEALTHY);
  }

  /** The published health of `addr`, or `fallback` while none is published. */
  healthy(addr: string, fallback: boolean): boolean {
    const v = this.#table.load(this.#slot(addr));
    return v === 0 ? fallback : v === HEALTHY;
  }

  #slot(addr: string): number {
    let slot = this.#slots.get(addr);
    if (slot === undefined) {
      slot = this.#table.slot(this.#prefix + addr);
      this.#slots.set(addr, slot);
    }
    return slot;
  }
}
