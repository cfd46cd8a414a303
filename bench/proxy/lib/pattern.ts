/**
 * The bytes of the memory benchmark's large bodies: byte i of a body is
 * i mod 251 (a prime, so a chunk that arrives out of place or twice shows),
 * written with backpressure and checked as it arrives, without keeping it.
 */

const PERIOD = 251;
const PATTERN = Buffer.alloc(PERIOD * 1024);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PERIOD;

/** The pattern's bytes from body offset `at`, at most `max` of them (a view, never written to). */
export function patternAt(at: number, max: number): Buffer {
  const phase = at % PERIOD;
  return PATTERN.subarray(phase, phase + Math.min(max, PATTERN.length - phase));
}

/** Checks a chunk found at body offset `at`: the offset of its first wrong byte, or -1. */
export function firstMismatch(chunk: Buffer, at: number): number {
  let o = 0;
  while (o < chunk.length) {
    const want = patternAt(at + o, chunk.length - o);
    if (!chunk.subarray(o, o + want.length).equals(want)) {
      for (let i = 0; i < want.length; i++) if (chunk[o + i] !== want[i]) return at + o + i;
    }
    o += want.length;
  }
  return -1;
}

/** A writable end (socket, ServerResponse) as writePattern uses it. */
export interface PatternSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Writes `size` pattern bytes to `out` in chunks of up to 64 KiB, waiting for 'drain'; then `done()`. */
export function writePattern(out: PatternSink, size: number, done: () => void): void {
  let at = 0;
  const pump = () => {
    while (at < size) {
      const chunk = patternAt(at, Math.min(64 * 1024, size - at));
      at += chunk.length;
      if (!out.write(chunk)) {
        out.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}
