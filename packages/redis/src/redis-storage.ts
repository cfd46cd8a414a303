/**
 * RedisStorage: the cache Storage on Redis, shared by every proxy instance.
 * A write is buffered (up to the body limit; bigger is not stored) and made
 * visible at finish() by one script setting meta and body together, with a
 * TTL of freshness plus the longer stale window plus a margin. A lookup is
 * one script call returning meta, length and the first chunk; later chunks
 * and seeks read with GETRANGE, never the whole body at once.
 */
import { randomBytes } from 'node:crypto';
import {
  type CacheKey,
  type CacheMeta,
  type CompactCacheKey,
  decodeMeta,
  encodeMeta,
  type HitHandler,
  isPrimaryKey,
  type LookupResult,
  type MissFinish,
  type MissHandler,
  type PurgeType,
  type Storage,
} from '@pingora-ts/cache';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { type RedisCacheBypassEvent, redisCacheBypassChannel } from './redis-events.ts';
import { type RedisLike, type RedisReply, replyBuffer, replyNumber } from './redis-like.ts';
import { FINISH, LOOKUP, PURGE, UPDATE_META } from './storage-scripts.ts';

export interface RedisStorageOptions {
  /** Key prefix (one per fleet or namespace). Default `pingora:cache:`. */
  keyPrefix?: string | undefined;
  /** Bodies larger than this are not stored. Default 8 MiB. */
  maxBodyBytes?: number | undefined;
  /** Bytes read per round trip (the first chunk comes with the lookup). Default 64 KiB. */
  chunkBytes?: number | undefined;
  /** Kept beyond freshness + stale windows (room to revalidate). Default 10 s. */
  ttlMarginMs?: number | undefined;
  /** How long a replaced body stays readable for readers still on it. Default 10 s. */
  replacedGraceMs?: number | undefined;
  /** The clock (ms). Default Date.now. */
  now?: (() => number) | undefined;
}

const VERSION_LENGTH = 16;

function bypass(op: RedisCacheBypassEvent['op']): void {
  if (redisCacheBypassChannel.hasSubscribers) redisCacheBypassChannel.publish({ op });
}

export class RedisStorage implements Storage {
  readonly supportsStreamingPartialWrite = false;
  readonly redis: RedisLike;
  readonly prefix: string;
  readonly maxBodyBytes: number;
  readonly chunkBytes: number;
  readonly #margin: number;
  readonly #grace: number;
  readonly #now: () => number;

  constructor(redis: RedisLike, options: RedisStorageOptions = {}) {
    this.redis = redis;
    this.prefix = options.keyPrefix ?? 'pingora:cache:';
    this.maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.#margin = options.ttlMarginMs ?? 10_000;
    this.#grace = options.replacedGraceMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    for (const [k, v] of [
      ['maxBodyBytes', this.maxBodyBytes],
      ['chunkBytes', this.chunkBytes],
      ['replacedGraceMs', this.#grace],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) {
        throw PingoraError.explain(
          ErrorType.ConfigError,
          `RedisStorage ${k} must be > 0, got ${v}`,
        );
      }
    }
  }

  metaKey(hex: string): string {
    return `${this.prefix}m:${hex}`;
  }

  async lookup(key: CacheKey): Promise<LookupResult | undefined> {
    const hex = key.combinedHex();
    let r: RedisReply;
    try {
      r = await this.redis.evalScript(
        LOOKUP,
        [this.metaKey(hex)],
        [this.prefix, hex, this.chunkBytes],
      );
    } catch (err) {
      bypass('lookup');
      throw err;
    }
    if (!Array.isArray(r)) return undefined;
    const raw = replyBuffer(r[0]);
    if (raw === undefined || raw.length < VERSION_LENGTH) return undefined;
    const version = raw.toString('latin1', 0, VERSION_LENGTH);
    const meta = decodeMeta(raw.subarray(VERSION_LENGTH));
    const length = replyNumber(r[1]);
    const first = replyBuffer(r[2]) ?? Buffer.alloc(0);
    const bodyKey = `${this.prefix}b:${hex}:${version}`;
    return { meta, hit: new RedisHitHandler(this.redis, bodyKey, length, first, this.chunkBytes) };
  }

  getMissHandler(key: CacheKey, meta: CacheMeta): MissHandler {
    return new RedisMissHandler(this, key, meta);
  }

  /** @internal the TTL of an asset with `meta` (at least 1 ms). */
  ttlMs(meta: CacheMeta): number {
    return Math.max(1, Math.ceil(meta.keepUntil() - this.#now() + this.#margin));
  }

  /** @internal makes a written asset visible. */
  async commit(key: CacheKey, meta: CacheMeta, body: Buffer): Promise<void> {
    const hex = key.combinedHex();
    const version = randomBytes(8).toString('hex');
    const bodyKey = `${this.prefix}b:${hex}:${version}`;
    const setKey = `${this.prefix}v:${key.primaryHex()}`;
    const variant = hex === key.primaryHex() ? '' : hex;
    const metaValue = Buffer.concat([Buffer.from(version, 'latin1'), encodeMeta(meta)]);
    try {
      await this.redis.evalScript(
        FINISH,
        [this.metaKey(hex), bodyKey, setKey],
        [this.prefix, hex, metaValue, body, this.ttlMs(meta), this.#grace, variant],
      );
    } catch (err) {
      bypass('store');
      throw err;
    }
  }

  async purge(key: CompactCacheKey, _type: PurgeType): Promise<boolean> {
    const primary = isPrimaryKey(key);
    try {
      const r = await this.redis.evalScript(
        PURGE,
        [this.metaKey(key.combined), `${this.prefix}v:${key.primary}`],
        [this.prefix, key.combined, primary ? '1' : '0'],
      );
      return replyNumber(r) === 1;
    } catch (err) {
      bypass('purge');
      throw err;
    }
  }

  async updateMeta(key: CacheKey, meta: CacheMeta): Promise<boolean> {
    const hex = key.combinedHex();
    try {
      const r = await this.redis.evalScript(
        UPDATE_META,
        [this.metaKey(hex)],
        [this.prefix, hex, encodeMeta(meta), this.ttlMs(meta)],
      );
      return replyNumber(r) === 1;
    } catch (err) {
      bypass('update');
      throw err;
    }
  }
}

class RedisMissHandler implements MissHandler {
  readonly #storage: RedisStorage;
  readonly #key: CacheKey;
  readonly #meta: CacheMeta;
  #parts: Buffer[] = [];
  #size = 0;
  #state: 'writing' | 'too-large' | 'done' = 'writing';

  constructor(storage: RedisStorage, key: CacheKey, meta: CacheMeta) {
    this.#storage = storage;
    this.#key = key;
    this.#meta = meta;
  }

  writeBody(data: Buffer, _eof: boolean): void {
    if (this.#state !== 'writing') return;
    this.#size += data.length;
    if (this.#size > this.#storage.maxBodyBytes) {
      // over the limit: stop buffering; finish() refuses to store
      this.#state = 'too-large';
      this.#parts = [];
      return;
    }
    if (data.length > 0) this.#parts.push(data);
  }

  async finish(): Promise<MissFinish> {
    if (this.#state === 'too-large') {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `redis cache: body of ${this.#size} bytes over the limit of ${this.#storage.maxBodyBytes}, not stored`,
      );
    }
    if (this.#state === 'done') {
      throw PingoraError.explain(ErrorType.InternalError, 'redis cache: write already finished');
    }
    this.#state = 'done';
    const body = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    this.#parts = [];
    await this.#storage.commit(this.#key, this.#meta, body);
    return { size: body.length };
  }

  abort(): void {
    this.#state = 'done';
    this.#parts = [];
  }
}

class RedisHitHandler implements HitHandler {
  readonly bodyLength: number;
  readonly #redis: RedisLike;
  readonly #bodyKey: string;
  readonly #chunk: number;
  #first: Buffer;
  #pos = 0;
  #end: number;

  constructor(redis: RedisLike, bodyKey: string, length: number, first: Buffer, chunk: number) {
    this.#redis = redis;
    this.#bodyKey = bodyKey;
    this.bodyLength = length;
    this.#first = first;
    this.#chunk = chunk;
    this.#end = length;
  }

  readBody(): Buffer | null | Promise<Buffer | null> {
    const pos = this.#pos;
    if (pos >= this.#end) return null;
    if (pos < this.#first.length) {
      const stop = Math.min(this.#end, this.#first.length);
      this.#pos = stop;
      return this.#first.subarray(pos, stop);
    }
    const stop = Math.min(this.#end, pos + this.#chunk);
    this.#pos = stop;
    return this.#redis.send(['GETRANGE', this.#bodyKey, pos, stop - 1]).then((r) => {
      const b = replyBuffer(r);
      if (b === undefined || b.length !== stop - pos) {
        throw PingoraError.explain(
          ErrorType.ReadError,
          `redis cache: body ${this.#bodyKey} gone or changed while reading at ${pos}`,
        );
      }
      return b;
    });
  }

  canSeek(): boolean {
    return true;
  }

  seek(start: number, end?: number): void {
    const e = Math.min(end ?? this.bodyLength, this.bodyLength);
    if (!(start >= 0 && start <= e)) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `redis cache: bad seek ${start}-${end} of ${this.bodyLength}`,
      );
    }
    this.#pos = start;
    this.#end = e;
  }

  finish(): void {
    this.#first = Buffer.alloc(0);
    this.#pos = this.#end;
  }
}
