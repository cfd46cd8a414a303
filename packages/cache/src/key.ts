/**
 * CacheKey: what an asset is stored under (Pingora's key.rs): a namespace,
 * a primary key (usually host + path) and an optional user tag, hashed to a
 * compact 16-byte digest (BLAKE2b-512 truncated, as Pingora's Blake2b-128);
 * a variance hash (Vary) makes the combined key of one variant.
 */
import { createHash } from 'node:crypto';

/** Length of a key hash in bytes. */
export const KEY_HASH_LENGTH = 16;

function hashParts(parts: readonly (string | Buffer)[]): Buffer {
  const h = createHash('blake2b512');
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    // length-prefix every part so ("ab","c") and ("a","bc") differ
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(b.length, 0);
    h.update(len);
    h.update(b);
  }
  return h.digest().subarray(0, KEY_HASH_LENGTH);
}

export class CacheKey {
  readonly namespace: string;
  readonly primary: string;
  /** Distinguishes keys per user or tenant; not part of the primary hash (Pingora). */
  readonly userTag: string;
  /** The variance hash of one variant (set after cacheVaryFilter), else undefined. */
  variance: Buffer | undefined;
  #primaryHash: Buffer | undefined;

  constructor(namespace: string, primary: string, userTag = '') {
    this.namespace = namespace;
    this.primary = primary;
    this.userTag = userTag;
  }

  /** The default key Pingora's examples use: no namespace, `host + path?query` as primary. */
  static default(host: string, target: string): CacheKey {
    return new CacheKey('', `${host}${target}`);
  }

  /** BLAKE2b-512 of namespace and primary, truncated to 16 bytes. */
  primaryBinary(): Buffer {
    this.#primaryHash ??= hashParts([this.namespace, this.primary]);
    return this.#primaryHash;
  }

  /** The primary hash in hex (32 characters): the storage key of the primary slot. */
  primaryHex(): string {
    return this.primaryBinary().toString('hex');
  }

  /** The key of this variant: the primary hash combined with the variance hash, if any. */
  combinedBinary(): Buffer {
    const v = this.variance;
    if (v === undefined) return this.primaryBinary();
    return hashParts([this.primaryBinary(), v]);
  }

  combinedHex(): string {
    return this.combinedBinary().toString('hex');
  }

  /** A copy without the variance (the primary slot). */
  withoutVariance(): CacheKey {
    return new CacheKey(this.namespace, this.primary, this.userTag);
  }

  /** A compact, storage-agnostic form: what eviction and purge use. */
  toCompact(): CompactCacheKey {
    return {
      primary: this.primaryHex(),
      variance: this.variance?.toString('hex'),
      userTag: this.userTag,
    };
  }
}

/** Pingora's CompactCacheKey: the hashes and user tag, no readable parts. */
export interface CompactCacheKey {
  readonly primary: string;
  readonly variance: string | undefined;
  readonly userTag: string;
}

/** The storage key string of a compact key: `primary` or `primary:variance`. */
export function compactKeyString(key: CompactCacheKey): string {
  return key.variance === undefined ? key.primary : `${key.primary}:${key.variance}`;
}

/**
 * Builds a variance hash from (name, value) pairs, order-insensitive
 * (Pingora's VarianceBuilder): the pairs are sorted before hashing.
 */
export class VarianceBuilder {
  readonly #pairs: [string, string][] = [];

  add(name: string, value: string): this {
    this.#pairs.push([name.toLowerCase(), value]);
    return this;
  }

  get isEmpty(): boolean {
    return this.#pairs.length === 0;
  }

  /** The 16-byte variance hash, undefined when nothing was added (no variance). */
  finalize(): Buffer | undefined {
    if (this.#pairs.length === 0) return undefined;
    const sorted = [...this.#pairs].sort((a, b) =>
      a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1,
    );
    return hashParts(sorted.flat());
  }
}
