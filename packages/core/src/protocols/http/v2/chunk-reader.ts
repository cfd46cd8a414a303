/**
 * ChunkReader: the BodySink behind `readBodyChunk()` on HTTP/2 sessions,
 * a promise per chunk for code that wants one (filters, small apps); the
 * proxy's hot path uses readBodyInto directly. At most one chunk waits: the
 * stream is paused until it is taken, so flow control bounds the rest.
 */
import type { PingoraError } from '@pingora-ts/error';
import type { BodySink } from '../body-sink.ts';

export class ChunkReader implements BodySink {
  readonly #resume: () => void;
  #chunks: Buffer[] = [];
  #ended = false;
  #error: PingoraError | undefined;
  #waiter: ((error: PingoraError | null, chunk: Buffer | null) => void) | undefined;

  /** `resume` restarts delivery after a chunk waited. */
  constructor(resume: () => void) {
    this.#resume = resume;
  }

  onData(chunk: Buffer): boolean {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) {
      waiter(null, chunk);
      return true;
    }
    this.#chunks.push(chunk);
    return false;
  }

  onEnd(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(null, null);
  }

  onError(error: PingoraError): void {
    if (this.#ended) return;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(error, null);
  }

  /** The next chunk, or null at the end of the body. */
  next(): Promise<Buffer | null> {
    const queued = this.#chunks.shift();
    if (queued !== undefined) {
      if (this.#chunks.length === 0 && !this.#ended) this.#resume();
      return Promise.resolve(queued);
    }
    if (this.#ended) return Promise.resolve(null);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = (error, chunk) => (error === null ? resolve(chunk) : reject(error));
    });
  }
}
