/**
 * The `cache_proxy` section of the cache sample's YAML: where to listen,
 * the upstreams, the memory storage's byte bound and eviction, the policy
 * preset, stale windows, lock timeouts, the largest cacheable body, an
 * optional `redis:` mapping (a shared tier behind the memory one and a lock
 * across instances) and an optional /metrics listener. Read with core's
 * ConfigSchema, so a bad value names its key and line.
 */
import { configField, defineConfigSchema, parseSocketAddr } from '@pingora-ts/core';
import { optionalConfigObject, redisConfigFields } from '@pingora-ts/redis';

const oneOf =
  (...values: string[]) =>
  (v: string) =>
    values.includes(v) ? undefined : `expected one of ${values.join(', ')}`;

/** `cache_proxy.redis`: the connection keys plus what the fleet shares through it. */
export const cacheRedisConfigSchema = defineConfigSchema({
  ...redisConfigFields,
  /** The Redis tier behind the memory storage (a memory miss looks in Redis; writes go to both). */
  sharedStorage: configField.boolean({ key: 'shared_storage', default: true }),
  /** The cache lock across instances (one origin fetch per key for the whole fleet). */
  sharedLock: configField.boolean({ key: 'shared_lock', default: true }),
  /** How long the memory tier trusts its copy of a Redis asset (bounds how long another instance's purge stays unseen). */
  frontTtlMs: configField.integer({ key: 'front_ttl_ms', default: 1000, min: 1, max: 3_600_000 }),
  /** How often readers waiting on another instance's writer ask Redis. */
  lockPollIntervalMs: configField.integer({
    key: 'lock_poll_interval_ms',
    default: 10,
    min: 1,
    max: 10_000,
  }),
});

export const cacheProxyConfigSchema = defineConfigSchema({
  listen: configField.addressList({ default: ['127.0.0.1:6202'], maxItems: 64 }),
  /** Empty: a demo origin is started in-process. */
  upstreams: configField.addressList({ default: [], maxItems: 1024 }),
  maxSizeBytes: configField.integer({
    key: 'max_size_bytes',
    default: 64 * 1024 * 1024,
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
  }),
  eviction: configField.string({ default: 'lru', check: oneOf('lru', 'tinyufo') }),
  policy: configField.string({ default: 'pingora', check: oneOf('pingora', 'rfc9111') }),
  /** Lifetime of a 200 without freshness information under the pingora policy; 0: not cached. */
  defaultTtlSec: configField.integer({
    key: 'default_ttl_sec',
    default: 0,
    min: 0,
    max: 31_536_000,
  }),
  staleWhileRevalidateSec: configField.integer({
    key: 'stale_while_revalidate_sec',
    default: 0,
    min: 0,
    max: 31_536_000,
  }),
  staleIfErrorSec: configField.integer({
    key: 'stale_if_error_sec',
    default: 60,
    min: 0,
    max: 31_536_000,
  }),
  lockAgeTimeoutMs: configField.integer({
    key: 'lock_age_timeout_ms',
    default: 2000,
    min: 1,
    max: 600_000,
  }),
  lockWaitTimeoutMs: configField.integer({
    key: 'lock_wait_timeout_ms',
    default: 2000,
    min: 1,
    max: 600_000,
  }),
  maxFileSizeBytes: configField.integer({
    key: 'max_file_size_bytes',
    default: 8 * 1024 * 1024,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  }),
  predictorSize: configField.integer({
    key: 'predictor_size',
    default: 10_000,
    min: 1,
    max: 10_000_000,
  }),
  redis: optionalConfigObject(cacheRedisConfigSchema),
  /** Where /metrics is served (Prometheus text, the Redis metrics among them); none when empty. */
  metricsListen: configField.string({
    key: 'metrics_listen',
    default: '',
    check: (v) => {
      if (v === '') return undefined;
      try {
        parseSocketAddr(v);
        return undefined;
      } catch {
        return `"${v}" is not "ip:port" or "[ipv6]:port"`;
      }
    },
  }),
});

export type CacheProxyConfig = ReturnType<typeof cacheProxyConfigSchema.read>;
