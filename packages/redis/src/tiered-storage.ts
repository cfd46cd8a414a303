/**
 * TieredStorage: a small local storage (memory) in front of a shared one
 * (Redis). A front hit costs no round trip; a front miss that hits the back
 * copies the asset into the front (bodies up to `fillMaxBytes`). Front
 * copies are trusted `frontTtlMs` only, which bounds how long a purge or a
 * replacement made by another instance stays unseen here, and only while
 * fresh (an expired one may have been revalidated in the back). Writes go to
 * both.
 */
import type {
  CacheKey,
  CacheMeta,
  CompactCacheKey,
  HitHandler,
  LookupResult,
  MissFinish,
  MissHandler,
  PurgeType,
  Storage,
} from '@pingora-ts/cache';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface TieredStorageOptions {
  /** How long a front copy is served before the back is asked again. Default 1000 ms. */
  frontTtlMs?: number | undefined;
  /** Back hits with bodies up to this size are copied to the front. Default 1 MiB. */
  fillMaxBytes?: number | undefined;
  /** The clock (ms). Default Date.now. */
  now?: (() => number) | undefined;
}

/** The meta extension that stamps when a front copy was made. */
const FILLED = 'pingora-ts.tier-filled';

function stamped(meta: CacheMeta, now: number): CacheMeta {
  const m = meta.clone();
  m.extensions.set(FILLED, String(now));
  return m;
}

async function readAll(hit: HitHandler, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = hit.readBody();
    const b = r instanceof Promise ? await r : r;
    if (b === null) return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    size += b.length;
    if (size > max) throw PingoraError.explain(ErrorType.InternalError, 'tier fill over its limit');
    parts.push(b);
  }
}

export class TieredStorage implements Storage {
  readonly supportsStreamingPartialWrite = false;
  readonly front: Storage;
  readonly back: Storage;
  readonly #ttl: number;
  readonly #fillMax: number;
  readonly #now: () => number;

  constructor(front: Storage, back: Storage, options: TieredStorageOptions = {}) {
    this.front = front;
    this.back = back;
    this.#ttl = options.frontTtlMs ?? 1000;
    this.#fillMax = options.fillMaxBytes ?? 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  async lookup(key: CacheKey): Promise<LookupResult | undefined> {
    const now = this.#now();
    const local = await this.front.lookup(key);
    if (local !== undefined) {
      // a front asset still being written is not served: the back is the source of truth;
      // nor is an expired one (another instance may have revalidated it in the back)
      const filled = Number(local.meta.extensions.get(FILLED));
      if (
        local.hit.bodyLength !== undefined &&
        now - filled < this.#ttl &&
        local.meta.isFresh(now)
      ) {
        return local;
      }
      local.hit.finish();
    }
    const found = await this.back.lookup(key);
    if (found === undefined) {
      if (local !== undefined) await this.front.purge(key.toCompact(), 'eviction');
      return undefined;
    }
    const length = found.hit.bodyLength;
    if (length === undefined || length > this.#fillMax) return found;
    const body = await readAll(found.hit, this.#fillMax);
    found.hit.finish();
    const meta = stamped(found.meta, now);
    try {
      const miss = await this.front.getMissHandler(key, meta);
      await miss.writeBody(body, true);
      await miss.finish();
    } catch {
      // the front refused it (full): serve this one from the bytes read
    }
    return { meta, hit: new BufferHit(body) };
  }

  async getMissHandler(key: CacheKey, meta: CacheMeta): Promise<MissHandler> {
    const back = await this.back.getMissHandler(key, meta);
    let front: MissHandler | undefined;
    try {
      front = await this.front.getMissHandler(key, stamped(meta, this.#now()));
    } catch {
      front = undefined;
    }
    return new TeeMiss(back, front);
  }

  async purge(key: CompactCacheKey, type: PurgeType): Promise<boolean> {
    const [b, f] = await Promise.all([this.back.purge(key, type), this.front.purge(key, type)]);
    return b || f;
  }

  async updateMeta(key: CacheKey, meta: CacheMeta): Promise<boolean> {
    const b = await this.back.updateMeta(key, meta);
    await this.front.updateMeta(key, stamped(meta, this.#now()));
    return b;
  }
}

class TeeMiss implements MissHandler {
  readonly #back: MissHandler;
  #front: MissHandler | undefined;
  /** Writes still in flight: finish() waits for them (callers need not await writeBody). */
  #pending: Promise<unknown> | undefined;

  constructor(back: MissHandler, front: MissHandler | undefined) {
    this.#back = back;
    this.#front = front;
  }

  writeBody(data: Buffer, eof: boolean): void | Promise<void> {
    const b = this.#back.writeBody(data, eof);
    const f = this.#writeFront(data, eof);
    if (!(b instanceof Promise) && f === undefined) return;
    const p = Promise.all([this.#pending, b, f]).then(() => undefined);
    this.#pending = p.catch(() => undefined);
    return p;
  }

  /** The front is best effort: a failing front drops its copy, the back goes on. */
  #writeFront(data: Buffer, eof: boolean): Promise<void> | undefined {
    const f = this.#front;
    if (f === undefined) return undefined;
    const drop = () => {
      f.abort();
      if (this.#front === f) this.#front = undefined;
    };
    try {
      const r = f.writeBody(data, eof);
      return r instanceof Promise ? r.catch(drop) : undefined;
    } catch {
      drop();
      return undefined;
    }
  }

  async finish(): Promise<MissFinish> {
    let done: MissFinish;
    try {
      await this.#pending;
      done = await this.#back.finish();
    } catch (err) {
      this.#front?.abort();
      throw err;
    }
    try {
      await this.#front?.finish();
    } catch {
      // a front that could not keep it only costs a round trip later
    }
    return done;
  }

  abort(): void {
    this.#front?.abort();
    this.#back.abort();
  }
}

class BufferHit implements HitHandler {
  readonly bodyLength: number;
  #body: Buffer;
  #pos = 0;
  #end: number;

  constructor(body: Buffer) {
    this.#body = body;
    this.bodyLength = body.length;
    this.#end = body.length;
  }

  readBody(): Buffer | null {
    if (this.#pos >= this.#end) return null;
    const b = this.#body.subarray(this.#pos, this.#end);
    this.#pos = this.#end;
    return b;
  }

  canSeek(): boolean {
    return true;
  }

  seek(start: number, end?: number): void {
    const e = Math.min(end ?? this.bodyLength, this.bodyLength);
    if (!(start >= 0 && start <= e)) {
      throw PingoraError.explain(ErrorType.InternalError, `tier: bad seek ${start}-${end}`);
    }
    this.#pos = start;
    this.#end = e;
  }

  finish(): void {
    this.#body = Buffer.alloc(0);
    this.#pos = this.#end = 0;
  }
}
