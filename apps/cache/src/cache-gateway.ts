/**
 * The cache sample: a caching reverse proxy. Every request enables the
 * cache (the policy decides: pingora or rfc9111); methods it does not cache
 * are proxied untouched; PURGE is honoured from loopback only; Vary is
 * followed; stale assets are served within the response's windows; every
 * response says X-Cache-Status. Upstreams are used in turn. With
 * `redis:` the memory storage fronts a Redis tier and the lock is shared by
 * every instance (see redis-tier.ts).
 */
import {
  CacheablePredictor,
  CacheKey,
  type CacheKeyLock,
  CacheLock,
  type CacheMeta,
  type CacheSettings,
  MemoryStorage,
  pingoraPolicy,
  rfc9111Policy,
  type Storage,
  VarianceBuilder,
} from '@pingora-ts/cache';
import { HttpPeer } from '@pingora-ts/core';
import type { RequestHeader, ResponseHeader } from '@pingora-ts/http';
import type { ProxyHttp, Session } from '@pingora-ts/proxy';
import type { CacheProxyConfig } from './config.ts';

function isLoopback(s: Session): boolean {
  const peer = s.digest.peerAddr;
  if (peer === undefined || peer.kind !== 'inet') return peer?.kind === 'unix';
  const a = peer.address;
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/** What other instances share (from `cache_proxy.redis`); the memory storage and local lock otherwise. */
export interface SharedCache {
  readonly storage?: Storage | undefined;
  readonly lock?: CacheKeyLock | undefined;
}

export class CacheGateway implements ProxyHttp<null> {
  readonly settings: CacheSettings;
  /** The memory storage (the front tier when Redis is shared). */
  readonly storage: MemoryStorage;
  readonly #peers: HttpPeer[];
  #next = 0;

  constructor(
    config: CacheProxyConfig,
    upstreams: string[],
    shared: (memory: MemoryStorage) => SharedCache | undefined = () => undefined,
  ) {
    this.#peers = upstreams.map((u) => new HttpPeer(u));
    this.storage = new MemoryStorage({
      maxSizeBytes: config.maxSizeBytes,
      eviction: config.eviction as 'lru' | 'tinyufo',
    });
    const fleet = shared(this.storage);
    const defaults = {
      staleWhileRevalidateSec: config.staleWhileRevalidateSec,
      staleIfErrorSec: config.staleIfErrorSec,
      defaultTtlSec: (status: number) =>
        config.defaultTtlSec > 0 && status === 200 ? config.defaultTtlSec : undefined,
    };
    this.settings = {
      storage: fleet?.storage ?? this.storage,
      policy: config.policy === 'rfc9111' ? rfc9111Policy(defaults) : pingoraPolicy(defaults),
      lock:
        fleet?.lock ??
        new CacheLock({
          ageTimeoutMs: config.lockAgeTimeoutMs,
          waitTimeoutMs: config.lockWaitTimeoutMs,
        }),
      predictor: new CacheablePredictor(config.predictorSize),
      maxFileSizeBytes: config.maxFileSizeBytes,
    };
  }

  newCtx(): null {
    return null;
  }

  upstreamPeer(): HttpPeer {
    const peer = this.#peers[this.#next]!;
    this.#next = (this.#next + 1) % this.#peers.length;
    return peer;
  }

  /** Synchronous unless it answers: a promise per request would cost every hit. */
  requestFilter(s: Session): boolean | Promise<boolean> {
    if (s.reqHeader.method === 'PURGE' && !isLoopback(s)) {
      return s
        .respond(403, 'purge is allowed from loopback only\n', { 'Content-Type': 'text/plain' })
        .then(() => true);
    }
    return false;
  }

  requestCacheFilter(s: Session): void {
    s.cache.enable(this.settings);
  }

  cacheKeyCallback(s: Session): CacheKey {
    const req = s.reqHeader;
    return CacheKey.default(req.getHeader('host') ?? '', req.target);
  }

  isPurge(s: Session): boolean {
    return s.reqHeader.method === 'PURGE';
  }

  /** The variance of the request's values of the names the stored Vary lists (parsed once per asset). */
  cacheVaryFilter(meta: CacheMeta, _ctx: null, req: RequestHeader): Buffer | undefined {
    const names = meta.varyFieldNames();
    if (names.length === 0) return undefined;
    const b = new VarianceBuilder();
    for (const n of names) b.add(n, req.getAll(n).join(','));
    return b.finalize();
  }

  /** Stale is served within the windows the response (or the config) gives. */
  shouldServeStale(): boolean {
    return true;
  }

  responseFilter(s: Session, resp: ResponseHeader): void {
    resp.insertHeader('X-Cache-Status', s.cacheState?.statusText ?? 'BYPASS');
  }
}
