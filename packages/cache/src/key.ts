/**
 * CacheKey: what an asset is stored under (Pingora's key.rs): a namespace,
 * a primary key (usually host + path) and an optional user tag, hashed to a
 * compact 16-byte digest (BLAKE2b-512 truncated, as Pingora's Blake2b-128);
 * a variance hash (Vary) makes the combined key of one variant.
 */
import { hash } from 'node:crypto';

/** Length of a key hash in bytes. */
export const KEY_HASH_LENGTH = 16;

/** BLAKE2b-512 of `data`, truncated to KEY_HASH_LENGTH bytes (one-shot: no Hash object). */
function blake(data: string | Buffer): Buffer {
  return (hash('blake2b512', data, 'buffer') as Buffer).subarray(0, KEY_HASH_LENGTH);
}

/** Hashes strings unambiguously: each is length-prefixed, so ("ab","c") and ("a","bc") differ. */
function hashStrings(parts: readonly string[]): Buffer {
  let text = '';
  for (const p of parts) text += `${p.length}:${p}`;
  return blake(text);
}

export class CacheKey {
  readonly namespace: string;
  readonly primary: string;
  /** Distinguishes keys per user or tenant; not part of the primary hash (Pingora). */
  readonly userTag: string;
  /** The variance hash of one variant (set after cacheVaryFilter), else undefined. */
  variance: Buffer | undefined;
  #primaryHash: Buffer | undefined;
  #primaryHex: string | undefined;
  #combined: { variance: Buffer; hex: string; bin: Buffer } | undefined;

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
    this.#primaryHash ??= hashStrings([this.namespace, this.primary]);
    return this.#primaryHash;
  }

  /** The primary hash in hex (32 characters): the storage key of the primary slot. */
  primaryHex(): string {
    this.#primaryHex ??= this.primaryBinary().toString('hex');
    return this.#primaryHex;
  }

  /** The key of this variant: the primary hash combined with the variance hash, if any. */
  combinedBinary(): Buffer {
    const v = this.variance;
    if (v === undefined) return this.primaryBinary();
    return this.#variant(v).bin;
  }

  combinedHex(): string {
    const v = this.variance;
    if (v === undefined) return this.primaryHex();
    return this.#variant(v).hex;
  }

  #variant(v: Buffer): { bin: Buffer; hex: string } {
    const c = this.#combined;
    if (c !== undefined && c.variance === v) return c;
    const bin = blake(Buffer.concat([this.primaryBinary(), v]));
    const next = { variance: v, bin, hex: bin.toString('hex') };
    this.#combined = next;
    return next;
  }

  /** A copy without the variance (the primary slot). */
  withoutVariance(): CacheKey {
    return new CacheKey(this.namespace, this.primary, this.userTag);
  }

  /** A compact, storage-agnostic form: what eviction and purge use. */
  toCompact(): CompactCacheKey {
    return { primary: this.primaryHex(), combined: this.combinedHex(), userTag: this.userTag };
  }
}

/** Pingora's CompactCacheKey: the hashes and user tag, no readable parts. */
export interface CompactCacheKey {
  /** Hex of the primary hash. */
  readonly primary: string;
  /** Hex of the combined hash (equal to `primary` without variance). */
  readonly combined: string;
  readonly userTag: string;
}

/** Whether a compact key names the primary slot (no variance). */
export function isPrimaryKey(key: CompactCacheKey): boolean {
  return key.combined === key.primary;
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
    return hashStrings(sorted.flat());
  }
}
