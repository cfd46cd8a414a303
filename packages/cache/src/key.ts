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

/** A primary hash and its hex form, shared by every CacheKey of the same namespace and primary. */
interface PrimaryHash {
  readonly bin: Buffer;
  readonly hex: string;
}

/** Characters of hashed text one generation of the memo holds at most (its entries are capped too). */
const MEMO_CHARS = 1 << 20;
const MEMO_ENTRIES = 8192;

/** One generation of the memo: namespace -> primary -> hash (no key text is built to look one up). */
type Generation = Map<string, Map<string, PrimaryHash>>;

/**
 * Primary hashes of recently seen keys. A hit hashes its key on every
 * request, and BLAKE2b through OpenSSL costs more than the rest of the
 * lookup; the memo is two generations (the current one fills, then replaces
 * the old), so it stays under 2 x MEMO_CHARS characters and 2 x
 * MEMO_ENTRIES entries whatever it is fed, and keeps the keys in use.
 */
class PrimaryHashMemo {
  #current: Generation = new Map();
  #old: Generation = new Map();
  /**
   * Keys made by CacheKey.default: host -> path -> hash, looked up with the
   * request's own strings, so a hit builds no `host + path` text to hash.
   */
  #currentParts: Generation = new Map();
  #oldParts: Generation = new Map();
  #chars = 0;
  #entries = 0;
  #oldChars = 0;
  #oldEntries = 0;

  get(namespace: string, primary: string): PrimaryHash {
    const h = this.#current.get(namespace)?.get(primary);
    if (h !== undefined) return h;
    const found =
      this.#old.get(namespace)?.get(primary) ?? computed(hashStrings([namespace, primary]));
    const chars = namespace.length + primary.length;
    if (chars <= MEMO_CHARS) this.#keep(false, namespace, primary, found, chars);
    return found;
  }

  /** The hash of namespace '' and primary `host + path` (CacheKey.default), the same as get's. */
  getParts(host: string, path: string): PrimaryHash {
    const h = this.#currentParts.get(host)?.get(path);
    if (h !== undefined) return h;
    const found =
      this.#oldParts.get(host)?.get(path) ?? computed(hashStrings(['', `${host}${path}`]));
    const chars = host.length + path.length;
    if (chars <= MEMO_CHARS) this.#keep(true, host, path, found, chars);
    return found;
  }

  /** Files `h` under a / b in the current generation, starting a new one when it is full. */
  #keep(parts: boolean, a: string, b: string, h: PrimaryHash, chars: number): void {
    if (this.#chars + chars > MEMO_CHARS || this.#entries >= MEMO_ENTRIES) {
      this.#old = this.#current;
      this.#oldParts = this.#currentParts;
      this.#oldChars = this.#chars;
      this.#oldEntries = this.#entries;
      this.#current = new Map();
      this.#currentParts = new Map();
      this.#chars = 0;
      this.#entries = 0;
    }
    const gen = parts ? this.#currentParts : this.#current;
    let byB = gen.get(a);
    if (byB === undefined) {
      byB = new Map();
      gen.set(a, byB);
    }
    byB.set(b, h);
    this.#chars += chars;
    this.#entries++;
  }

  /** Entries and characters of key text held (both generations), for the bound's tests. */
  get held(): { entries: number; chars: number } {
    return {
      entries: this.#entries + this.#oldEntries,
      chars: this.#chars + this.#oldChars,
    };
  }
}

function computed(bin: Buffer): PrimaryHash {
  return { bin, hex: bin.toString('hex') };
}

const primaryMemo = new PrimaryHashMemo();

/** What the primary-hash memo holds (entries, characters of key text): for tests of its bound. */
export function primaryHashMemoSize(): { entries: number; chars: number } {
  return primaryMemo.held;
}

export class CacheKey {
  readonly namespace: string;
  /** Distinguishes keys per user or tenant; not part of the primary hash (Pingora). */
  readonly userTag: string;
  /** The variance hash of one variant (set after cacheVaryFilter), else undefined. */
  variance: Buffer | undefined;
  /** The primary key's text; undefined for a default key until read (see `primary`). */
  #primaryText: string | undefined;
  /** A default key's host and target (its primary is their concatenation). */
  #host = '';
  #target: string | undefined;
  #primary: PrimaryHash | undefined;
  #combined: { variance: Buffer; hex: string; bin: Buffer } | undefined;

  constructor(namespace: string, primary: string, userTag = '') {
    this.namespace = namespace;
    this.#primaryText = primary;
    this.userTag = userTag;
  }

  /** The default key Pingora's examples use: no namespace, `host + path?query` as primary. */
  static default(host: string, target: string): CacheKey {
    const k = new CacheKey('', '');
    // the primary text is made only when read: a hit hashes (memoised) without it
    k.#primaryText = undefined;
    k.#host = host;
    k.#target = target;
    return k;
  }

  /** The primary key (usually host + path). */
  get primary(): string {
    this.#primaryText ??= `${this.#host}${this.#target}`;
    return this.#primaryText;
  }

  #primaryHash(): PrimaryHash {
    this.#primary ??=
      this.#target !== undefined
        ? primaryMemo.getParts(this.#host, this.#target)
        : primaryMemo.get(this.namespace, this.#primaryText as string);
    return this.#primary;
  }

  /** BLAKE2b-512 of namespace and primary, truncated to 16 bytes. Shared: do not modify it. */
  primaryBinary(): Buffer {
    return this.#primaryHash().bin;
  }

  /** The primary hash in hex (32 characters): the storage key of the primary slot. */
  primaryHex(): string {
    return this.#primaryHash().hex;
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
    if (this.#target !== undefined) return CacheKey.default(this.#host, this.#target);
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
