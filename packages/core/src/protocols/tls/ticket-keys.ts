/**
 * TicketKeys: the 48-byte session-ticket key TLS contexts share, so a ticket
 * issued on one connection (any certificate, any listener, any server
 * thread) resumes on another. `rotate()` swaps in a new key; holders
 * subscribed with `onRotate` apply it to their live contexts. With
 * `threads: N` every thread's TicketKeys of the same name hold one key in
 * shared memory: the main thread's is written first and the main thread
 * rotates it on its schedule; the server threads follow (ticket-keys-sharing.ts).
 */
import { randomBytes } from 'node:crypto';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { SharedMemory, SharedSecret } from '@pingora-ts/runtime';
import { bindWhenShared, shareKey } from './ticket-keys-sharing.ts';

/** OpenSSL's ticket key: 16 bytes name, 16 HMAC secret, 16 AES key. */
export const TICKET_KEY_BYTES = 48;

export interface TicketKeysOptions {
  /**
   * The name the server threads of a process share this key under (a
   * listener's default keys are named after the listener). Default: the
   * order of construction among unnamed ones, the same on every thread.
   */
  readonly name?: string;
}

/** Unnamed TicketKeys built on this thread so far. */
let unnamed = 0;

export class TicketKeys {
  /** The name the threads share this key under. */
  readonly name: string;
  #current: Buffer;
  readonly #listeners = new Set<(key: Buffer) => void>();
  #timer: NodeJS.Timeout | undefined;
  #intervalMs: number | undefined;
  #shared: SharedSecret | undefined;
  #member = 0;
  /** The shared generation #current comes from. */
  #seen = 0;

  /** Starts with `key` (48 bytes), else a random one. */
  constructor(key?: Buffer, options: TicketKeysOptions = {}) {
    this.#current = key === undefined ? randomBytes(TICKET_KEY_BYTES) : checkKey(key);
    this.name = options.name ?? `#${unnamed++}`;
    bindWhenShared(this);
  }

  /** The key in use (a copy: callers cannot change it behind the holders' backs). */
  current(): Buffer {
    return Buffer.from(this.#current);
  }

  /** Whether the server threads of this process share this key. */
  get shared(): boolean {
    return this.#shared !== undefined;
  }

  /**
   * Replaces the key (a random one when none is given) and hands it to every
   * subscriber, on every server thread when shared. Tickets issued under the
   * old key no longer resume: clients fall back to a full handshake.
   */
  rotate(key?: Buffer): void {
    const next = key === undefined ? randomBytes(TICKET_KEY_BYTES) : checkKey(key);
    if (this.#shared !== undefined) this.#seen = this.#shared.write(next);
    this.#adopt(next);
  }

  /** Calls `listener` with every new key; returns the unsubscribe function. */
  onRotate(listener: (key: Buffer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Rotates every `intervalMs` until `stop()` (the timer does not keep the
   * process alive). A new schedule replaces the previous one. When shared,
   * one thread runs the schedule (the main thread, when it asked for one)
   * and the others follow its rotations.
   */
  rotateEvery(intervalMs: number): void {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `ticket key rotation interval must be an integer of at least 1000 ms, got ${intervalMs}`,
      );
    }
    this.stop();
    this.#intervalMs = intervalMs;
    if (this.#shared !== undefined && !this.#shared.claimRotation(this.#member)) return;
    this.#timer = setInterval(() => this.rotate(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the rotation schedule. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#intervalMs = undefined;
  }

  /**
   * Joins the key shared under this name in `memory` (once): the first to
   * join writes its key, the others take it; from then on a rotation by any
   * thread reaches this one.
   */
  bind(memory: SharedMemory): void {
    if (this.#shared !== undefined) return;
    const secret = shareKey(memory, this.name, TICKET_KEY_BYTES);
    this.#shared = secret;
    this.#member = memory.memberId;
    secret.init(this.#current);
    // The generation before the bytes: a write in between is seen again by the watch, not lost.
    this.#seen = secret.generation;
    const key = secret.read();
    if (!key.equals(this.#current)) this.#adopt(key);
    if (this.#intervalMs !== undefined && !secret.claimRotation(this.#member)) {
      // Another thread runs the schedule; this one follows.
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
    }
    secret.watch(
      () => this.#seen,
      (bytes, generation) => {
        this.#seen = generation;
        this.#adopt(bytes);
      },
    );
  }

  #adopt(key: Buffer): void {
    this.#current = key;
    for (const listener of this.#listeners) listener(this.current());
  }
}

function checkKey(key: Buffer): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== TICKET_KEY_BYTES) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `a TLS ticket key must be ${TICKET_KEY_BYTES} bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`,
    );
  }
  return Buffer.from(key);
}
