/**
 * MemoryStorage: a Storage in process memory, bounded in bytes by an
 * EvictionManager (LRU or TinyUFO). Unlike Pingora's test-only MemCache it
 * is meant for production: every finished asset is admitted through the
 * manager and what it evicts is dropped. Assets being written are visible to
 * lookup (streaming partial write): readers follow the writer's body.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { cacheEvictChannel, cacheStoreChannel } from './cache-events.ts';
import { type EvictionKind, type EvictionManager, evictionManager } from './eviction.ts';
import { type CacheKey, type CompactCacheKey, isPrimaryKey } from './key.ts';
import type { CacheMeta } from './meta.ts';
import type {
  HitHandler,
  LookupResult,
  MissFinish,
  MissHandler,
  PurgeType,
  Storage,
} from './storage.ts';

export interface MemoryStorageOptions {
  /** The most bytes (bodies plus heads) held by finished assets. */
  maxSizeBytes: number;
  /** Which eviction to use, or a manager of your own. Default 'lru'. */
  eviction?: EvictionKind | EvictionManager;
  /**
   * The most body bytes held by assets still being written, all together; a
   * write that would pass it fails (the response goes on, uncached).
   * Default: maxSizeBytes.
   */
  maxWritingBytes?: number;
}

/** Bytes counted per asset beyond its body and head, so tiny assets still weigh something. */
const ASSET_OVERHEAD = 128;

interface Asset {
  meta: CacheMeta;
  body: Buffer;
  weight: number;
  /** The primary key when this asset is a variant stored under its own key. */
  primary: string | undefined;
}

/** A body kept for long should not pin a much larger socket read it is a view of. */
function compact(b: Buffer): Buffer {
  if (b.length * 2 >= b.buffer.byteLength) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}

class Partial {
  meta: CacheMeta;
  readonly chunks: Buffer[] = [];
  size = 0;
  done = false;
  /** Whether `size` was taken off the storage's in-flight total. */
  settled = false;
  failed: PingoraError | undefined;
  #waiters: (() => void)[] = [];

  constructor(meta: CacheMeta) {
    this.meta = meta;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  wake(): void {
    const w = this.#waiters;
    if (w.length === 0) return;
    this.#waiters = [];
    for (const f of w) f();
  }
}

class BufferHit implements HitHandler {
  readonly #body: Buffer;
  #start = 0;
  #end: number;
  #read = false;

  constructor(body: Buffer) {
    this.#body = body;
    this.#end = body.length;
  }
  get bodyLength(): number {
    return this.#body.length;
  }
  readBody(): Buffer | null {
    if (this.#read) return null;
    this.#read = true;
    return this.#start === 0 && this.#end === this.#body.length
      ? this.#body
      : this.#body.subarray(this.#start, this.#end);
  }
  canSeek(): boolean {
    return true;
  }
  seek(start: number, end = this.#body.length): void {
    if (start < 0 || end > this.#body.length || start > end) {
      throw PingoraError.explain(ErrorType.InternalError, `seek ${start}-${end} out of range`);
    }
    this.#start = start;
    this.#end = end;
    this.#read = false;
  }
  finish(): void {}
}

class PartialHit implements HitHandler {
  readonly #p: Partial;
  #index = 0;

  constructor(p: Partial) {
    this.#p = p;
  }
  get bodyLength(): undefined {
    return undefined;
  }
  readBody(): Buffer | null | Promise<Buffer | null> {
    const p = this.#p;
    if (this.#index < p.chunks.length) return p.chunks[this.#index++]!;
    if (p.failed !== undefined) throw p.failed;
    if (p.done) return null;
    return p.wait().then(() => this.readBody());
  }
  canSeek(): boolean {
    return false;
  }
  seek(): void {
    throw PingoraError.explain(ErrorType.InternalError, 'cannot seek an asset being written');
  }
  finish(): void {}
}

export class MemoryStorage implements Storage {
  readonly supportsStreamingPartialWrite = true;
  readonly eviction: EvictionManager;
  readonly maxSizeBytes: number;
  readonly maxWritingBytes: number;
  #writingBytes = 0;
  readonly #assets = new Map<string, Asset>();
  readonly #writing = new Map<string, Partial>();
  /** primary key -> variant keys stored under it, so purging the primary frees them. */
  readonly #variants = new Map<string, Set<string>>();

  constructor(options: MemoryStorageOptions) {
    const { maxSizeBytes, eviction = 'lru' } = options;
    if (!Number.isSafeInteger(maxSizeBytes) || maxSizeBytes < 1) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `MemoryStorage maxSizeBytes must be a positive integer, got ${String(maxSizeBytes)}`,
      );
    }
    this.maxSizeBytes = maxSizeBytes;
    this.maxWritingBytes = options.maxWritingBytes ?? maxSizeBytes;
    this.eviction =
      typeof eviction === 'string' ? evictionManager(eviction, maxSizeBytes) : eviction;
  }

  /** Finished assets held. */
  get size(): number {
    return this.#assets.size;
  }

  /** Bytes held by finished assets (as the eviction manager counts them). */
  get bytes(): number {
    return this.eviction.totalSize;
  }

  /** Body bytes held by assets still being written. */
  get writingBytes(): number {
    return this.#writingBytes;
  }

  #settle(p: Partial): void {
    if (p.settled) return;
    p.settled = true;
    this.#writingBytes -= p.size;
  }

  lookup(key: CacheKey): LookupResult | undefined {
    const k = key.combinedHex();
    const partial = this.#writing.get(k);
    if (partial !== undefined && partial.failed === undefined) {
      return { meta: partial.meta, hit: new PartialHit(partial) };
    }
    const a = this.#assets.get(k);
    if (a === undefined) return undefined;
    this.eviction.access(k);
    return { meta: a.meta, hit: new BufferHit(a.body) };
  }

  getMissHandler(key: CacheKey, meta: CacheMeta): MissHandler {
    const k = key.combinedHex();
    const primary = key.primaryHex();
    const p = new Partial(meta);
    this.#writing.set(k, p);
    return {
      writeBody: (data, eof) => {
        if (p.done || p.failed !== undefined) {
          throw PingoraError.explain(ErrorType.InternalError, 'write after finish or abort');
        }
        if (data.length > 0) {
          if (this.#writingBytes + data.length > this.maxWritingBytes) {
            throw PingoraError.explain(
              ErrorType.InternalError,
              `cache writes in progress would pass ${this.maxWritingBytes} bytes`,
            );
          }
          p.chunks.push(data);
          p.size += data.length;
          this.#writingBytes += data.length;
        }
        if (eof) p.done = true;
        p.wake();
      },
      finish: (): MissFinish => {
        if (p.failed !== undefined) {
          throw PingoraError.explain(ErrorType.InternalError, 'finish after abort');
        }
        p.done = true;
        p.wake();
        this.#settle(p);
        if (this.#writing.get(k) === p) this.#writing.delete(k);
        this.#store(k, primary, p);
        return { size: p.size };
      },
      abort: () => {
        if (p.done && this.#writing.get(k) !== p) return;
        p.failed ??= PingoraError.explain(ErrorType.InternalError, 'cache write aborted');
        this.#settle(p);
        p.wake();
        if (this.#writing.get(k) === p) this.#writing.delete(k);
      },
    };
  }

  #store(k: string, primary: string, p: Partial): void {
    const body = p.chunks.length === 1 ? compact(p.chunks[0]!) : Buffer.concat(p.chunks, p.size);
    const weight = body.length + p.meta.header.headersWireLength() + ASSET_OVERHEAD;
    if (this.#assets.has(k)) this.eviction.remove(k);
    const variantOf = k === primary ? undefined : primary;
    this.#assets.set(k, { meta: p.meta, body, weight, primary: variantOf });
    if (variantOf !== undefined) {
      let set = this.#variants.get(primary);
      if (set === undefined) {
        set = new Set();
        this.#variants.set(primary, set);
      }
      set.add(k);
    }
    const evicted = this.eviction.admit(k, weight, p.meta.freshUntil);
    let bytes = 0;
    for (const e of evicted) {
      const gone = this.#assets.get(e);
      if (gone === undefined) continue;
      bytes += gone.weight;
      this.#assets.delete(e);
      this.#forgetVariant(e, gone);
    }
    if (cacheStoreChannel.hasSubscribers && this.#assets.has(k)) {
      cacheStoreChannel.publish({ bytes: weight });
    }
    if (evicted.length > 0 && cacheEvictChannel.hasSubscribers) {
      cacheEvictChannel.publish({ items: evicted.length, bytes });
    }
  }

  purge(key: CompactCacheKey, _type: PurgeType): boolean {
    let found = this.#drop(key.combined);
    if (isPrimaryKey(key)) {
      const set = this.#variants.get(key.primary);
      if (set !== undefined) {
        this.#variants.delete(key.primary);
        for (const v of set) found = this.#drop(v) || found;
      }
    }
    return found;
  }

  #drop(k: string): boolean {
    const partial = this.#writing.get(k);
    if (partial !== undefined) {
      partial.failed ??= PingoraError.explain(
        ErrorType.InternalError,
        'asset purged while written',
      );
      this.#settle(partial);
      partial.wake();
      this.#writing.delete(k);
    }
    const a = this.#assets.get(k);
    if (a === undefined) return partial !== undefined;
    this.#assets.delete(k);
    this.eviction.remove(k);
    this.#forgetVariant(k, a);
    return true;
  }

  /** Keeps the primary -> variants index to the variants still held (it stays bounded). */
  #forgetVariant(k: string, a: Asset): void {
    if (a.primary === undefined) return;
    const set = this.#variants.get(a.primary);
    if (set === undefined) return;
    set.delete(k);
    if (set.size === 0) this.#variants.delete(a.primary);
  }

  /** Primary keys with variants indexed (for tests of the index bound). */
  get variantIndexSize(): number {
    return this.#variants.size;
  }

  updateMeta(key: CacheKey, meta: CacheMeta): boolean {
    const k = key.combinedHex();
    const a = this.#assets.get(k);
    if (a === undefined) return false;
    a.meta = meta;
    return true;
  }
}
