/**
 * Bucket: one server on the continuum (an address and a weight), and how
 * nginx's `hash ... consistent` turns its address into the seed of its points:
 * crc32(host, "\0", port), where the port is the run of digits after the last
 * ':' (nginx's rule, which keeps IPv6 brackets in the host: `[::1]:80` hashes
 * `[::1]`) and a `unix:` address has no port.
 *
 * This is a leaf package (like pingora-ketama, which asserts): a malformed
 * bucket is a programming error and throws a TypeError or RangeError. Code that
 * builds rings from user configuration (load-balancing) validates it first and
 * reports a PingoraError ConfigError.
 */
import { crc32Utf8 } from './crc32.ts';

export interface Bucket {
  /** The server address, `ip:port` (as nginx's `server` directive names it). */
  readonly node: string;
  /** Share of the keys, relative to the other buckets: a positive integer; each unit is 160 points. */
  readonly weight: number;
}

/** Points per unit of weight (nginx and Pingora's DEFAULT_POINT_MULTIPLE). */
export const POINTS_PER_WEIGHT = 160;
/** Most distinct nodes a continuum holds (node indexes are 16-bit, as in Pingora). */
export const MAX_NODES = 0xffff;
/** Most points a continuum holds (sum of weights x 160), which bounds its memory to ~100 MB. */
export const MAX_POINTS = 1 << 24;

/** Throws TypeError/RangeError unless `bucket` has a non-empty string node and a positive integer weight. */
export function checkBucket(bucket: Bucket, index: number): void {
  if (bucket === null || typeof bucket !== 'object') {
    throw new TypeError(`ketama bucket ${index} is not an object`);
  }
  if (typeof bucket.node !== 'string' || bucket.node.length === 0) {
    throw new TypeError(`ketama bucket ${index}: node must be a non-empty "ip:port" string`);
  }
  const w = bucket.weight;
  if (!Number.isInteger(w) || w < 1 || w * POINTS_PER_WEIGHT > MAX_POINTS) {
    throw new RangeError(
      `ketama bucket ${index} (${bucket.node}): weight must be an integer from 1 to ${MAX_POINTS / POINTS_PER_WEIGHT}, got ${String(w)}`,
    );
  }
}

/** Splits an address the way nginx does: [host, port], port '' when there is none. */
export function splitHostPort(node: string): [string, string] {
  if (node.length >= 5 && node.slice(0, 5).toLowerCase() === 'unix:') return [node.slice(5), ''];
  for (let j = node.length - 1; j >= 0; j--) {
    const c = node.charCodeAt(j);
    if (c === 0x3a) return [node.slice(0, j), node.slice(j + 1)];
    if (c < 0x30 || c > 0x39) break;
  }
  return [node, ''];
}

/** crc32(host "\0" port): the running CRC every point of `node` continues from. */
export function baseHash(node: string): number {
  const [host, port] = splitHostPort(node);
  return crc32Utf8(`${host}\0${port}`);
}
