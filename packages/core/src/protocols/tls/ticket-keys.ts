/**
 * TicketKeys: the 48-byte session-ticket key every TLS context of a process
 * shares, so a ticket issued on one connection (any certificate, any
 * listener, later any worker) resumes on another. `rotate()` swaps in a new
 * key; holders subscribed with `onRotate` apply it to their live contexts.
 */
import { randomBytes } from 'node:crypto';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** OpenSSL's ticket key: 16 bytes name, 16 HMAC secret, 16 AES key. */
export const TICKET_KEY_BYTES = 48;

export class TicketKeys {
  #current: Buffer;
  readonly #listeners = new Set<(key: Buffer) => void>();
  #timer: NodeJS.Timeout | undefined;

  /** Starts with `key` (48 bytes), else a random one. */
  constructor(key?: Buffer) {
    this.#current = key === undefined ? randomBytes(TICKET_KEY_BYTES) : checkKey(key);
  }

  /** The key in use (a copy: callers cannot change it behind the holders' backs). */
  current(): Buffer {
    return Buffer.from(this.#current);
  }

  /**
   * Replaces the key (a random one when none is given) and hands it to every
   * subscriber. Tickets issued under the old key no longer resume: clients
   * fall back to a full handshake.
   */
  rotate(key?: Buffer): void {
    this.#current = key === undefined ? randomBytes(TICKET_KEY_BYTES) : checkKey(key);
    for (const listener of this.#listeners) listener(this.current());
  }

  /** Calls `listener` with every new key; returns the unsubscribe function. */
  onRotate(listener: (key: Buffer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Rotates every `intervalMs` until `stop()` (the timer does not keep the
   * process alive). A new schedule replaces the previous one.
   */
  rotateEvery(intervalMs: number): void {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `ticket key rotation interval must be an integer of at least 1000 ms, got ${intervalMs}`,
      );
    }
    this.stop();
    this.#timer = setInterval(() => this.rotate(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the rotation schedule. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
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
