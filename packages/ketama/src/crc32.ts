/**
 * CRC-32 (IEEE, the zlib/nginx one) in JavaScript: the ring build hashes
 * millions of 4-byte inputs and lookups hash short keys, where a table loop
 * beats a call into zlib's native crc32. Strings are hashed as their UTF-8
 * bytes, encoded on the fly without allocating.
 */

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** crc32 of `bytes`, continuing from the finished crc `prev` (0 to start), as zlib's crc32(prev, ...). */
export function crc32Bytes(bytes: Uint8Array, prev = 0): number {
  let c = ~prev;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** crc32 of the 4 little-endian bytes of `value`, continuing from `prev`. */
export function crc32U32LE(value: number, prev: number): number {
  let c = ~prev;
  c = TABLE[(c ^ value) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (value >>> 8)) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (value >>> 16)) & 0xff]! ^ (c >>> 8);
  c = TABLE[(c ^ (value >>> 24)) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** crc32 of the UTF-8 encoding of `s` (lone surrogates become U+FFFD, as TextEncoder does). */
export function crc32Utf8(s: string, prev = 0): number {
  let c = ~prev;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let cp = s.charCodeAt(i);
    if (cp < 0x80) {
      c = TABLE[(c ^ cp) & 0xff]! ^ (c >>> 8);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x800) {
      c = TABLE[(c ^ (0xc0 | (cp >> 6))) & 0xff]! ^ (c >>> 8);
    } else {
      if (cp < 0x10000) {
        c = TABLE[(c ^ (0xe0 | (cp >> 12))) & 0xff]! ^ (c >>> 8);
      } else {
        c = TABLE[(c ^ (0xf0 | (cp >> 18))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | ((cp >> 12) & 0x3f))) & 0xff]! ^ (c >>> 8);
      }
      c = TABLE[(c ^ (0x80 | ((cp >> 6) & 0x3f))) & 0xff]! ^ (c >>> 8);
    }
    c = TABLE[(c ^ (0x80 | (cp & 0x3f))) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}
