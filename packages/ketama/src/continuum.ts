/**
 * Continuum: the Ketama ring that picks the same server as nginx's
 * `hash $key consistent` (mirrors pingora-ketama). Each bucket gets
 * weight x 160 points, point k = crc32 continued from the bucket's base hash
 * over the little-endian bytes of point k-1; the points are sorted and equal
 * ones kept once. A key goes to the first point at or after crc32(key),
 * wrapping to the first point. Points and node indexes live in typed arrays;
 * a lookup is one crc32 and a binary search.
 */
import {
  type Bucket,
  baseHash,
  checkBucket,
  MAX_NODES,
  MAX_POINTS,
  POINTS_PER_WEIGHT,
} from './bucket.ts';
import { crc32Bytes, crc32U32LE, crc32Utf8 } from './crc32.ts';

/** A key: raw bytes, or a string hashed as its UTF-8 bytes (pass latin1 head bytes as a Buffer). */
export type HashKey = Buffer | Uint8Array | string;

export class Continuum {
  /** Sorted, distinct point hashes. */
  readonly #points: Uint32Array;
  /** #nodeOf[i]: index into #nodes of the node owning point i. */
  readonly #nodeOf: Uint16Array;
  /** Distinct node addresses, in first-seen bucket order. */
  readonly #nodes: readonly string[];
  /** For each node, the index of the first bucket that named it. */
  readonly #bucketIndex: Uint32Array;

  private constructor(
    points: Uint32Array,
    nodeOf: Uint16Array,
    nodes: readonly string[],
    bucketIndex: Uint32Array,
  ) {
    this.#points = points;
    this.#nodeOf = nodeOf;
    this.#nodes = nodes;
    this.#bucketIndex = bucketIndex;
  }

  /**
   * Builds the ring. Throws a TypeError or RangeError (see bucket.ts) on a bucket without a node string or
   * with a weight that is not a positive integer, or when the ring would be
   * too large (more than 65535 nodes or 2^24 points). A node named by
   * several buckets is one node (as in nginx, its identical points collapse).
   * No buckets give an empty continuum whose lookups return undefined.
   */
  static build(buckets: readonly Bucket[]): Continuum {
    if (!Array.isArray(buckets)) {
      throw new TypeError('ketama buckets must be an array');
    }
    const nodeIds = new Map<string, number>();
    const nodes: string[] = [];
    const firstBucket: number[] = [];
    let total = 0;
    buckets.forEach((b, i) => {
      checkBucket(b, i);
      total += b.weight * POINTS_PER_WEIGHT;
      if (!nodeIds.has(b.node)) {
        nodeIds.set(b.node, nodes.length);
        nodes.push(b.node);
        firstBucket.push(i);
      }
    });
    if (nodes.length > MAX_NODES || total > MAX_POINTS) {
      throw new RangeError(
        `ketama ring too large: ${nodes.length} nodes, ${total} points (at most ${MAX_NODES} nodes, ${MAX_POINTS} points)`,
      );
    }

    // hash * 2^16 + node fits a double exactly, so one numeric sort of a
    // Float64Array orders points by hash and, for equal hashes, by node: the
    // first-built node wins a tie, as with nginx's stable sort.
    const keyed = new Float64Array(total);
    let n = 0;
    for (const b of buckets) {
      const node = nodeIds.get(b.node)!;
      const base = baseHash(b.node);
      let prev = 0;
      for (let k = b.weight * POINTS_PER_WEIGHT; k > 0; k--) {
        prev = crc32U32LE(prev, base);
        keyed[n++] = prev * 0x10000 + node;
      }
    }
    keyed.sort();

    const points = new Uint32Array(total);
    const nodeOf = new Uint16Array(total);
    let count = 0;
    for (let i = 0; i < total; i++) {
      const hash = Math.floor(keyed[i]! / 0x10000);
      if (count > 0 && points[count - 1] === hash) continue;
      points[count] = hash;
      nodeOf[count] = keyed[i]! - hash * 0x10000;
      count++;
    }
    return new Continuum(
      points.slice(0, count),
      nodeOf.slice(0, count),
      nodes,
      Uint32Array.from(firstBucket),
    );
  }

  /** Number of distinct points on the ring. */
  get pointCount(): number {
    return this.#points.length;
  }

  /** The distinct node addresses, in the order of the buckets that first named them. */
  get nodes(): readonly string[] {
    return this.#nodes;
  }

  /** The crc32 nginx hashes a key with. */
  static hashKey(key: HashKey): number {
    return typeof key === 'string' ? crc32Utf8(key) : crc32Bytes(key);
  }

  /** The ring position (point index) serving `key`, or -1 for an empty ring. */
  pointIndex(key: HashKey): number {
    const points = this.#points;
    if (points.length === 0) return -1;
    const hash = typeof key === 'string' ? crc32Utf8(key) : crc32Bytes(key);
    // first point >= hash; past the last point the ring wraps to 0
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  /** The address of the server for `key`, or undefined when the ring is empty. */
  node(key: HashKey): string | undefined {
    const p = this.pointIndex(key);
    return p === -1 ? undefined : this.#nodes[this.#nodeOf[p]!];
  }

  /**
   * The index, in the buckets given to build(), of the server for `key`
   * (the first bucket naming it), or undefined when the ring is empty. Lets a
   * caller map keys straight to its own backend objects.
   */
  nodeIndex(key: HashKey): number | undefined {
    const p = this.pointIndex(key);
    return p === -1 ? undefined : this.#bucketIndex[this.#nodeOf[p]!];
  }

  /**
   * The distinct servers met walking clockwise from `key`'s point: the
   * primary first, then the failover order. Ends after every node was
   * yielded (or one full turn of the ring).
   */
  *nodeIter(key: HashKey): Generator<string, void, undefined> {
    for (const node of this.#distinctNodes(key)) yield this.#nodes[node]!;
  }

  /** Like nodeIter, as bucket indexes (see nodeIndex). */
  *nodeIndexIter(key: HashKey): Generator<number, void, undefined> {
    for (const node of this.#distinctNodes(key)) yield this.#bucketIndex[node]!;
  }

  *#distinctNodes(key: HashKey): Generator<number, void, undefined> {
    const start = this.pointIndex(key);
    if (start === -1) return;
    const nodeOf = this.#nodeOf;
    const len = nodeOf.length;
    const first = nodeOf[start]!;
    yield first;
    const want = this.#nodes.length;
    if (want === 1) return;
    const seen = new Uint8Array(want);
    seen[first] = 1;
    let found = 1;
    for (let step = 1; step < len && found < want; step++) {
      const node = nodeOf[(start + step) % len]!;
      if (seen[node] === 0) {
        seen[node] = 1;
        found++;
        yield node;
      }
    }
  }
}
