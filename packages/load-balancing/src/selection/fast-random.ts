/**
 * A small, fast PRNG (sfc32) for random and power-of-two picks. Its state is
 * four int32 in a typed array, so a draw allocates nothing (Math.random
 * returns a heap number on every call). Seeded from the OS's randomness;
 * load balancing needs spread, not secrecy.
 */
import { getRandomValues } from 'node:crypto';

const TWO_32 = 4294967296;

export class FastRandom {
  readonly #s: Int32Array;

  constructor(seed?: Int32Array) {
    this.#s = seed === undefined ? getRandomValues(new Int32Array(4)) : Int32Array.from(seed);
    if ((this.#s[0]! | this.#s[1]! | this.#s[2]!) === 0) this.#s[0] = 1;
    // The first outputs of sfc32 still show the seed; skip them.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniform integer in [0, 2^32). */
  nextU32(): number {
    const s = this.#s;
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = (s[3]! + 1) | 0;
    const t = (((a + b) | 0) + d) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    s[3] = d;
    return t >>> 0;
  }

  /** A uniform integer in [0, n), for n up to 2^36 (the bias is below 2^-16 there). */
  below(n: number): number {
    return Math.floor((this.nextU32() / TWO_32) * n);
  }
}
