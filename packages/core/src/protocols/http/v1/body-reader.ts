/**
 * The promise-based conveniences over a session's callback body delivery:
 * `nextChunk()` (one chunk per call, paused in between) and `discard()`
 * (read to the end, dropping bytes, up to a limit). Shared by server sessions
 * (request bodies) and client sessions (response bodies).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { BodySink } from '../body-sink.ts';

/** The session side a BodyReader works on. */
export interface BodySource {
  attach(sink: BodySink): void;
  currentSink(): BodySink | undefined;
  replaceSink(sink: BodySink): void;
  resumeBody(): void;
  bodyDone(): boolean;
}

export class BodyReader implements BodySink {
  readonly #source: BodySource;
  #resolve: ((chunk: Buffer | null) => void) | null = null;
  #reject: ((err: PingoraError) => void) | null = null;

  constructor(source: BodySource) {
    this.#source = source;
  }

  /** The next chunk of the body, or null once it has ended. */
  nextChunk(): Promise<Buffer | null> {
    if (this.#resolve !== null) {
      return Promise.reject(PingoraError.explain(ErrorType.InternalError, 'concurrent body reads'));
    }
    const source = this.#source;
    const current = source.currentSink();
    if (current === undefined && source.bodyDone()) return Promise.resolve(null);
    if (current !== undefined && current !== this) {
      return Promise.reject(
        PingoraError.explain(ErrorType.InternalError, 'another body reader is attached'),
      );
    }
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      if (current === this) source.resumeBody();
      else source.attach(this);
    });
  }

  /** Reads the body to its end, dropping it; resolves false if it was longer than `limit` or failed. */
  discard(limit: number): Promise<boolean> {
    const source = this.#source;
    const current = source.currentSink();
    if (current === undefined && source.bodyDone()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let seen = 0;
      const sink: BodySink = {
        takesTransientChunks: true,
        onData(chunk) {
          seen += chunk.length;
          if (seen <= limit) return true;
          resolve(false);
          return false;
        },
        onEnd: () => resolve(true),
        onError: () => resolve(false),
      };
      if (current === undefined) source.attach(sink);
      else source.replaceSink(sink);
    });
  }

  onData(chunk: Buffer): boolean {
    const resolve = this.#resolve;
    this.#resolve = this.#reject = null;
    resolve?.(chunk);
    return false;
  }

  onEnd(): void {
    const resolve = this.#resolve;
    this.#resolve = this.#reject = null;
    resolve?.(null);
  }

  onError(error: PingoraError): void {
    const reject = this.#reject;
    this.#resolve = this.#reject = null;
    reject?.(error);
  }
}
