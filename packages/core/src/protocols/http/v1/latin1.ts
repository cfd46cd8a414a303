/**
 * Latin1 (one byte per char) conversions for heads: the parsers slice field
 * strings out of Buffers and the writers copy validated strings in. Node's
 * `latin1Slice` skips the argument checks of `toString('latin1', s, e)`;
 * short strings are written by a plain loop, cheaper than a call into C++.
 */

interface Latin1Buffer {
  latin1Slice(start: number, end: number): string;
}

/** buf[start, end) as a string of char codes 0-255. */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Buffer).latin1Slice(start, end);
}

/** Writes `s` (chars 0-255) at `o` and returns the offset after it; `buf` must have room. */
export function putLatin1(buf: Buffer, o: number, s: string): number {
  const n = s.length;
  if (n >= 48) return o + buf.write(s, o, n, 'latin1');
  for (let i = 0; i < n; i++) buf[o + i] = s.charCodeAt(i);
  return o + n;
}
