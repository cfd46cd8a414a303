/**
 * FNV-1a 64-bit (the hash of Rust's fnv crate, which Pingora's FNVHash uses),
 * kept as two unsigned 32-bit halves so hashing allocates nothing and stays
 * off BigInt. Strings are hashed as their UTF-8 bytes without encoding them.
 */
import type { SelectionKey } from './backend-selection.ts';

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const TWO_32 = 4294967296;

/** A running FNV-1a 64 state: `hi`/`lo` are the upper and lower 32 bits. */
export class Fnv64 {
  hi = OFFSET_HI;
  lo = OFFSET_LO;

  reset(): this {
    this.hi = OFFSET_HI;
    this.lo = OFFSET_LO;
    return this;
  }

  /** Mixes one byte: xor into the low bits, then multiply by 2^40 + 0x1b3 modulo 2^64. */
  byte(b: number): void {
    const lo = (this.lo ^ b) >>> 0;
    const low = lo * 0x1b3;
    const newLo = low >>> 0;
    // The 2^40 term moves lo's low 24 bits into the high half.
    this.hi = (this.hi * 0x1b3 + (low - newLo) / TWO_32 + (lo << 8)) >>> 0;
    this.lo = newLo;
  }

  bytes(data: Uint8Array): this {
    for (let i = 0; i < data.length; i++) this.byte(data[i]!);
    return this;
  }

  /** Hashes the UTF-8 encoding of `text` (lone surrogates as U+FFFD, like Buffer.from). */
  utf8(text: string): this {
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
          this.byte(0x80 | ((c >> 6) & 0x3f));
          this.byte(0x80 | (c & 0x3f));
          continue;
        }
        c = 0xfffd;
      }
      this.byte(0xe0 | (c >> 12));
      this.byte(0x80 | ((c >> 6) & 0x3f));
      this.byte(0x80 | (c & 0x3f));
    }
    return this;
  }

  key(key: SelectionKey): this {
    return typeof key === 'string' ? this.utf8(key) : this.bytes(key);
  }

  /** Hashes a 64-bit value as its 8 little-endian bytes (Rust's u64::to_le_bytes). */
  u64le(hi: number, lo: number): this {
    this.byte(lo & 0xff);
    this.byte((lo >>> 8) & 0xff);
    this.byte((lo >>> 16) & 0xff);
    this.byte(lo >>> 24);
    this.byte(hi & 0xff);
    this.byte((hi >>> 8) & 0xff);
    this.byte((hi >>> 16) & 0xff);
    this.byte(hi >>> 24);
    return this;
  }
}

/**
 * (hi * 2^32 + lo) mod n for n < 2^37, exact in doubles: the high half is
 * folded in 16 bits at a time so no intermediate exceeds 2^53.
 */
export function mod64(hi: number, lo: number, n: number): number {
  let r = hi % n;
  r = (r * 65536 + (lo >>> 16)) % n;
  return (r * 65536 + (lo & 0xffff)) % n;
}
