/**
 * FNV-1a 64-bit (the hash of Rust's fnv crate, which Pingora's FNVHash uses),
 * kept as two int32 halves so hashing allocates nothing and stays off
 * BigInt: the multiply by the prime 2^40 + 0x1b3 is Math.imul on the high
 * half plus the carry of the low half, which is split into 16-bit parts.
 * Strings are hashed as their UTF-8 bytes without encoding them.
 */
import type { SelectionKey } from './backend-selection.ts';

const OFFSET_HI = 0xcbf29ce4 | 0;
const OFFSET_LO = 0x84222325 | 0;

/** A running FNV-1a 64 state: `h` and `l` hold the upper and lower 32 bits as int32. */
export class Fnv64 {
  h = OFFSET_HI;
  l = OFFSET_LO;

  /** The upper 32 bits, unsigned. */
  get hi(): number {
    return this.h >>> 0;
  }

  /** The lower 32 bits, unsigned. */
  get lo(): number {
    return this.l >>> 0;
  }

  reset(): this {
    this.h = OFFSET_HI;
    this.l = OFFSET_LO;
    return this;
  }

  /** Mixes one byte: xor into the low bits, then multiply by 2^40 + 0x1b3 modulo 2^64. */
  byte(b: number): void {
    const lo = this.l ^ b;
    const a = (lo & 0xffff) * 0x1b3;
    const c = (lo >>> 16) * 0x1b3 + (a >>> 16);
    this.h = (Math.imul(this.h, 0x1b3) + (c >>> 16) + (lo << 8)) | 0;
    this.l = (c << 16) | (a & 0xffff);
  }

  bytes(data: Uint8Array): this {
    // The same mixing as byte(), on locals: this loop is the per-request cost.
    let hi = this.h;
    let lo = this.l;
    for (let i = 0; i < data.length; i++) {
      lo ^= data[i]!;
      const a = (lo & 0xffff) * 0x1b3;
      const c = (lo >>> 16) * 0x1b3 + (a >>> 16);
      hi = (Math.imul(hi, 0x1b3) + (c >>> 16) + (lo << 8)) | 0;
      lo = (c << 16) | (a & 0xffff);
    }
    this.h = hi;
    this.l = lo;
    return this;
  }

  /** Hashes the UTF-8 encoding of `text` (lone surrogates as U+FFFD, like Buffer.from). */
  utf8(text: string): this {
    let i = 0;
    while (i < text.length) {
      // ASCII runs on locals; anything else goes byte by byte through byte().
      let hi = this.h;
      let lo = this.l;
      for (; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch >= 0x80) break;
        lo ^= ch;
        const a = (lo & 0xffff) * 0x1b3;
        const c = (lo >>> 16) * 0x1b3 + (a >>> 16);
        hi = (Math.imul(hi, 0x1b3) + (c >>> 16) + (lo << 8)) | 0;
        lo = (c << 16) | (a & 0xffff);
      }
      this.h = hi;
      this.l = lo;
      if (i < text.length) i = this.#nonAscii(text, i);
    }
    return this;
  }

  /** Hashes the UTF-8 bytes of the non-ASCII character at `i`; returns the index after it. */
  #nonAscii(text: string, i: number): number {
    let c = text.charCodeAt(i);
    if (c < 0x800) {
      this.byte(0xc0 | (c >> 6));
      this.byte(0x80 | (c & 0x3f));
      return i + 1;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        this.byte(0xf0 | (c >> 18));
        this.byte(0x80 | ((c >> 12) & 0x3f));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
        return i + 2;
      }
      c = 0xfffd;
    }
    this.byte(0xe0 | (c >> 12));
    this.byte(0x80 | ((c >> 6) & 0x3f));
    this.byte(0x80 | (c & 0x3f));
    return i + 1;
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
