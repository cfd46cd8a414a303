/**
 * StreamCodec: one streaming (de)compressor over Node's zlib (gzip, brotli,
 * zstd), fed a chunk at a time. Each `encode` resolves with whatever output
 * the codec produced for that input; `end` flushes the rest. Output per call
 * is bounded so a decompression bomb fails instead of exhausting memory.
 */
import * as zlib from 'node:zlib';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { Algorithm } from './algorithm.ts';

export type CodecDirection = 'compress' | 'decompress';

export interface StreamCodecStats {
  readonly algorithm: Algorithm;
  readonly direction: CodecDirection;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Wall time between the first input and the last output, in ms. */
  readonly durationMs: number;
}

/** Default cap on the output of one `encode` call (a 1 KiB bomb can inflate to GiBs). */
export const DEFAULT_MAX_OUTPUT_PER_CHUNK = 16 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

function createStream(
  algorithm: Algorithm,
  direction: CodecDirection,
  level: number,
): zlib.Gzip | zlib.Gunzip | zlib.BrotliCompress | zlib.BrotliDecompress | zlib.ZstdCompress {
  if (algorithm === Algorithm.Gzip) {
    return direction === 'compress' ? zlib.createGzip({ level }) : zlib.createGunzip();
  }
  if (algorithm === Algorithm.Brotli) {
    return direction === 'compress'
      ? zlib.createBrotliCompress({
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: level,
            [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
          },
        })
      : zlib.createBrotliDecompress();
  }
  if (typeof zlib.createZstdCompress !== 'function') {
    throw PingoraError.explain(ErrorType.InternalError, 'zstd needs Node >= 22.15');
  }
  return direction === 'compress'
    ? zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: level } })
    : zlib.createZstdDecompress();
}

export class StreamCodec {
  readonly algorithm: Algorithm;
  readonly direction: CodecDirection;
  readonly #stream: ReturnType<typeof createStream>;
  readonly #maxOutput: number;
  #out: Buffer[] = [];
  #outBytes = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #startedAt = 0;
  #finishedAt = 0;
  #failure: PingoraError | undefined;
  #busy = false;
  #ended = false;
  #onSettle: (() => void) | undefined;

  constructor(
    algorithm: Algorithm,
    direction: CodecDirection,
    level = 6,
    maxOutputPerChunk = DEFAULT_MAX_OUTPUT_PER_CHUNK,
  ) {
    this.algorithm = algorithm;
    this.direction = direction;
    this.#maxOutput = maxOutputPerChunk;
    this.#stream = createStream(algorithm, direction, level);
    this.#stream.on('data', (chunk: Buffer) => {
      this.#outBytes += chunk.length;
      if (this.#outBytes > this.#maxOutput) {
        this.#fail(
          PingoraError.explain(
            ErrorType.InternalError,
            `${algorithm} ${direction} output exceeds ${this.#maxOutput} bytes for one chunk`,
          ),
        );
        return;
      }
      this.#out.push(chunk);
    });
    this.#stream.on('error', (err) => {
      this.#fail(
        PingoraError.create(
          ErrorType.InternalError,
          direction === 'decompress' ? ErrorSource.Upstream : ErrorSource.Internal,
          `${algorithm} ${direction} failed`,
          err,
        ),
      );
    });
    this.#stream.on('end', () => this.#settle());
  }

  /**
   * Feeds `input` (null: nothing new) and resolves with the output produced
   * so far; with `end`, also everything the codec still held. One call at a
   * time: the next waits for this one.
   */
  encode(input: Buffer | null, end: boolean): Promise<Buffer> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#busy || this.#ended) {
      return Promise.reject(
        PingoraError.explain(
          ErrorType.InternalError,
          this.#ended ? 'codec already ended' : 'codec busy: encode() calls must not overlap',
        ),
      );
    }
    if (this.#startedAt === 0) this.#startedAt = performance.now();
    const chunk = input ?? EMPTY;
    this.#bytesIn += chunk.length;
    this.#busy = true;
    return new Promise<Buffer>((resolve, reject) => {
      this.#onSettle = () => {
        this.#busy = false;
        this.#onSettle = undefined;
        if (this.#failure !== undefined) {
          reject(this.#failure);
          return;
        }
        resolve(this.#take());
      };
      if (end) {
        this.#ended = true;
        this.#stream.end(chunk);
      } else if (chunk.length === 0) {
        this.#settle();
      } else {
        this.#stream.write(chunk, () => {
          // The write callback means the codec consumed the input; output it
          // produced may still sit in the readable buffer, so read it out.
          this.#drainReadable();
          this.#settle();
        });
      }
    });
  }

  /** Byte counts and time spent, for logs. */
  stats(): StreamCodecStats {
    const end = this.#finishedAt === 0 ? performance.now() : this.#finishedAt;
    return {
      algorithm: this.algorithm,
      direction: this.direction,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      durationMs: this.#startedAt === 0 ? 0 : end - this.#startedAt,
    };
  }

  /** Releases the native codec (after an error or an abandoned response). */
  destroy(): void {
    this.#stream.destroy();
  }

  #drainReadable(): void {
    // read() emits 'data' for what it returns, which the listener collects.
    for (let i = 0; i < 1024 && this.#stream.read() !== null; i++);
  }

  #take(): Buffer {
    const out = this.#out;
    const result =
      out.length === 0
        ? EMPTY
        : out.length === 1
          ? (out[0] as Buffer)
          : Buffer.concat(out, this.#outBytes);
    this.#bytesOut += result.length;
    this.#out = [];
    this.#outBytes = 0;
    if (this.#ended) this.#finishedAt = performance.now();
    return result;
  }

  #fail(error: PingoraError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#out = [];
    this.#outBytes = 0;
    this.#stream.destroy();
    this.#settle();
  }

  #settle(): void {
    this.#onSettle?.();
  }
}
