/**
 * Copying latin1 strings (one byte per char, already validated) into a
 * Buffer. Short strings, the common case for header names and values, are
 * copied by a plain loop, which is cheaper than a call into Node's encoder;
 * long ones use `buf.write`.
 */

/** Strings at least this long go through Buffer#write. */
const LOOP_LIMIT = 48;

/** Writes `s` at `offset` and returns the offset after it. `buf` must have room. */
export function writeLatin1(buf: Buffer, offset: number, s: string): number {
  const n = s.length;
  if (n >= LOOP_LIMIT) return offset + buf.write(s, offset, n, 'latin1');
  for (let i = 0; i < n; i++) buf[offset + i] = s.charCodeAt(i);
  return offset + n;
}

/** Writes `s[start, end)` at `offset` and returns the offset after it. `buf` must have room. */
export function writeLatin1Range(
  buf: Buffer,
  offset: number,
  s: string,
  start: number,
  end: number,
): number {
  const n = end - start;
  if (n >= LOOP_LIMIT) return offset + buf.write(s.slice(start, end), offset, n, 'latin1');
  for (let i = 0; i < n; i++) buf[offset + i] = s.charCodeAt(start + i);
  return offset + n;
}
