/**
 * @pingora-ts/redis: what a proxy fleet shares through Redis. A narrow
 * client interface (RedisLike) with a node-redis implementation, its YAML
 * shape, the cache Storage on Redis (and a memory tier in front of it), a
 * cross-instance cache lock and a global rate limiter.
 */
export {
  NodeRedisClient,
  type RedisClientOptions,
  type RedisTlsOptions,
  reconnectDelay,
} from './node-redis-client.ts';
export {
  type RedisConfig,
  redisClientOptions,
  optionalConfigObject,
  redisConfigFields,
  redisConfigSchema,
  redisTlsConfigSchema,
} from './redis-config.ts';
export {
  type RedisCacheBypassEvent,
  type RedisCommandErrorEvent,
  type RedisLimiterFallbackEvent,
  type RedisStateEvent,
  redisCacheBypassChannel,
  redisCommandErrorChannel,
  redisLimiterFallbackChannel,
  redisStateChannel,
} from './redis-events.ts';
export {
  type RedisArg,
  type RedisLike,
  type RedisReply,
  RedisScript,
  replyBuffer,
  replyNumber,
} from './redis-like.ts';
export { RedisStorage, type RedisStorageOptions } from './redis-storage.ts';
export { TieredStorage, type TieredStorageOptions } from './tiered-storage.ts';
export {
  RedisCacheLock,
  type RedisCacheLockOptions,
  type RedisLocked,
  RedisReadLock,
  RedisWritePermit,
} from './redis-lock.ts';
export {
  FAIL_MODES,
  type FailMode,
  GlobalRateLimiter,
  type GlobalRateLimiterOptions,
  type RateDecision,
  rateLimitHeaders,
} from './global-rate-limiter.ts';
