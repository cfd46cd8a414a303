/**
 * What the cache sample shares with other instances through `cache_proxy.redis`:
 * a Redis tier behind the memory storage (`shared_storage`) and the cache lock
 * across instances (`shared_lock`). Connection state changes are logged: while
 * Redis is down or slow, lookups that miss in memory and the lock go without
 * it (the origin answers) and the client reconnects with backoff.
 */
import type { CacheKeyLock, Storage } from '@pingora-ts/cache';
import {
  NodeRedisClient,
  RedisCacheLock,
  type RedisStateEvent,
  RedisStorage,
  redisClientOptions,
  TieredStorage,
} from '@pingora-ts/redis';
import type { CacheProxyConfig } from './config.ts';

export interface StateLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RedisTier {
  readonly client: NodeRedisClient;
  /** The tiered storage (memory in front of Redis), or undefined when `shared_storage` is off. */
  readonly storage: Storage | undefined;
  /** The lock across instances, or undefined when `shared_lock` is off. */
  readonly lock: CacheKeyLock | undefined;
}

/** Builds the Redis parts of `config` (undefined without `redis:`); the client connects in the background. */
export function redisTier(
  config: CacheProxyConfig,
  memory: Storage,
  log: StateLogger | undefined,
): RedisTier | undefined {
  const r = config.redis;
  if (r === undefined || (!r.sharedStorage && !r.sharedLock)) return undefined;
  // one line per change (not one per reconnect attempt while Redis stays away)
  let up: boolean | undefined;
  const onState = (e: RedisStateEvent) => {
    if (e.state === 'ready') {
      up = true;
      log?.info({ redis: e.name }, 'redis connected: the cache tier and lock are shared');
    } else if (up !== false) {
      up = false;
      log?.warn(
        { redis: e.name, state: e.state, error: e.error },
        'redis unreachable or slow: the shared cache tier and lock are bypassed (memory, then origin)',
      );
    }
  };
  const client = new NodeRedisClient({ ...redisClientOptions(r, 'cache'), onState });
  void client.connect(r.connectTimeoutMs);
  const storage = r.sharedStorage
    ? new TieredStorage(
        memory,
        new RedisStorage(client, {
          keyPrefix: `${r.keyPrefix}cache:`,
          maxBodyBytes: config.maxFileSizeBytes,
        }),
        { frontTtlMs: r.frontTtlMs },
      )
    : undefined;
  const lock = r.sharedLock
    ? new RedisCacheLock(client, {
        ageTimeoutMs: config.lockAgeTimeoutMs,
        waitTimeoutMs: config.lockWaitTimeoutMs,
        pollIntervalMs: r.lockPollIntervalMs,
        keyPrefix: `${r.keyPrefix}lock:`,
      })
    : undefined;
  return { client, storage, lock };
}
