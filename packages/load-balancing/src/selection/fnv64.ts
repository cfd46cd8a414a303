/**
 * FNV-1a 64-bit (the hash of Rust's fnv crate, which Pingora's FNVHash uses),
 * kept as two unsigned 32-bit halves so hashing allocates nothing and stays
 * off BigInt. Strings are hashed as their UTF-8 bytes without encoding them.
 */
import type { SelectionKey } from './backend-selection.ts';

/** A running FNV-1a 64 state, as four 16-bit limbs (h0 lowest) so every field stays a small integer. */
export class Fnv64 {
  h0 = 0x2325;
  h1 = 0x8422;
  h2 = 0x9ce4;
  h3 = 0xcbf2;

  /** The upper 32 bits. */
  get hi(): number {
    return ((this.h3 << 16) | this.h2) >>> 0;
  }

  /** The lower 32 bits. */
  get lo(): number {
    return ((this.h1 << 16) | this.h0) >>> 0;
  }

  reset(): this {
    this.h0 = 0x2325;
    this.h1 = 0x8422;
    this.h2 = 0x9ce4;
    this.h3 = 0xcbf2;
    return this;
  }

  /**
   * Mixes one byte: xor into the lowest bits, then multiply by the prime
   * 2^40 + 0x1b3 modulo 2^64, limb by limb (2^40 is limb 2 times 0x100).
   */
  byte(b: number): void {
    const h0 = this.h0 ^ b;
    const h1 = this.h1;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = this.h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
  }

  bytes(data: Uint8Array): this {
    // The same mixing as byte(), on locals: this loop is the per-request cost.
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    for (let i = 0; i < data.length; i++) {
      h0 ^= data[i]!;
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3 + (t0 >>> 16);
      const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
      const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    return this;
  }

  /** Hashes the UTF-8 encoding of `text` (lone surrogates as U+FFFD, like Buffer.from). */
  utf8(text: string): this {
    let i = 0;
    while (i < text.length) {
      // ASCII runs on locals; anything else goes byte by byte through byte().
      let h0 = this.h0;
      let h1 = this.h1;
      let h2 = this.h2;
      let h3 = this.h3;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        h0 ^= c;
        const t0 = h0 * 0x1b3;
        const t1 = h1 * 0x1b3 + (t0 >>> 16);
        const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
        const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
        h0 = t0 & 0xffff;
        h1 = t1 & 0xffff;
        h2 = t2 & 0xffff;
        h3 = t3 & 0xffff;
      }
      this.h0 = h0;
      this.h1 = h1;
      this.h2 = h2;
      this.h3 = h3;
      if (i < text.length) i = this.nonAscii(text, i);
    }
    return this;
  }

  /** Hashes the UTF-8 bytes of the non-ASCII character at `i`; returns the index after it. */
  private nonAscii(text: string, i: number): number {
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
