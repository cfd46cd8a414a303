/**
 * A short identity for PEM material (a peer's CA bundle): the SHA-256 of its
 * bytes, remembered per string or object so that peers built per request
 * with the same CA hash it once. Both memories are bounded.
 */
import { createHash } from 'node:crypto';
import type { PemInput } from './peer-options.ts';

/** Distinct CA strings remembered; past it the memory starts over. */
const MAX_REMEMBERED = 256;

const byString = new Map<string, string>();
const byObject = new WeakMap<object, string>();

/** Hex SHA-256 of the PEM bytes (several inputs hashed in order, NUL-separated). */
export function pemFingerprint(input: PemInput): string {
  if (typeof input === 'string') {
    let fp = byString.get(input);
    if (fp === undefined) {
      fp = digest(input);
      if (byString.size >= MAX_REMEMBERED) byString.clear();
      byString.set(input, fp);
    }
    return fp;
  }
  // A Buffer or an array: remembered by identity (a peer usually shares one with its siblings).
  let fp = byObject.get(input);
  if (fp === undefined) {
    fp = digest(input);
    byObject.set(input, fp);
  }
  return fp;
}

function digest(input: PemInput): string {
  const hash = createHash('sha256');
  const parts = typeof input === 'string' || Buffer.isBuffer(input) ? [input] : input;
  for (const part of parts) {
    hash.update(part);
    hash.update('\0');
  }
  return hash.digest('hex');
}
