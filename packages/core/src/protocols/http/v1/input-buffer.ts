/**
 * The unconsumed bytes read from a connection. It adopts socket chunks
 * without copying and only copies when a message spans chunks, into a buffer
 * that doubles, so a trickled head costs amortized O(1) per byte. Bytes
 * handed out as body views are never overwritten: data is only ever written
 * after `end`, and a grown buffer is a new allocation.
 *
 * A direct read (see l4/direct-read.ts) is adopted as a transient view of a
 * shared buffer: it is parsed in place, and `settle()` copies whatever is
 * left before the read callback returns. Body bytes taken from a transient
 * view must be copied by the taker (`transient` says so).
 */

export class InputBuffer {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** Whether `buf` is ours (spare room after `end` may be written). */
  #owned = false;
  /** Whether `buf` is a view that is only valid until `settle()`. */
  transient = false;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer): void {
    const n = chunk.length;
    if (this.start === this.end) {
      this.#adopt(chunk, n, false);
      return;
    }
    if (this.#owned && this.buf.length - this.end >= n) {
      chunk.copy(this.buf, this.end);
      this.end += n;
      return;
    }
    const have = this.end - this.start;
    const grown = Buffer.allocUnsafe(Math.max(have * 2, have + n, 1024));
    this.buf.copy(grown, 0, this.start, this.end);
    chunk.copy(grown, have);
    this.buf = grown;
    this.start = 0;
    this.end = have + n;
    this.#owned = true;
  }

  /** Adopts `src[0, n)`, valid only until `settle()` (which must follow before src is reused). */
  appendTransient(src: Buffer, n: number): void {
    if (this.start === this.end) this.#adopt(src, n, true);
    else this.append(src.subarray(0, n));
  }

  /** Takes `buf[0, n)` as the whole input, without copying. */
  #adopt(buf: Buffer, n: number, transient: boolean): void {
    this.buf = buf;
    this.start = 0;
    this.end = n;
    this.#owned = false;
    this.transient = transient;
  }

  /** Copies what is left of a transient view into a buffer of our own. */
  settle(): void {
    if (!this.transient) return;
    this.transient = false;
    const have = this.end - this.start;
    if (have === 0) {
      this.clear();
      return;
    }
    // Room to grow for a head cut short; a body remainder is copied at its size.
    const own = Buffer.allocUnsafe(have < 8192 ? Math.max(have * 2, 1024) : have);
    this.buf.copy(own, 0, this.start, this.end);
    this.buf = own;
    this.start = 0;
    this.end = have;
    this.#owned = true;
  }

  /** Marks everything before `pos` consumed; drops the buffer once empty. */
  consumeTo(pos: number): void {
    this.start = pos;
    if (pos >= this.end) this.clear();
  }

  clear(): void {
    this.transient = false;
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.#owned = false;
  }

  /** A copy of the unconsumed bytes (handed over on upgrade), then empty. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(this.start, this.end));
    this.clear();
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
