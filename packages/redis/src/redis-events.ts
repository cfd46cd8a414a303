/**
 * The diagnostics_channel events of the Redis package
 * (`pingora-ts:redis:<event>`): connection state changes, failed commands,
 * cache bypasses and limiter fallbacks. The prometheus package turns them
 * into metrics; publishing costs a hasSubscribers check when nobody listens.
 */
import { channel } from 'node:diagnostics_channel';

/** The connection changed state: `ready`, `down` (lost or refused) or `reconnecting`. */
export interface RedisStateEvent {
  readonly name: string;
  readonly state: 'ready' | 'down' | 'reconnecting';
  readonly error?: string | undefined;
}
/** A command failed (timeout, connection, server error). */
export interface RedisCommandErrorEvent {
  readonly name: string;
  readonly command: string;
  readonly error: string;
}
/** The Redis cache tier or lock was bypassed (Redis failed: the request goes on without it). */
export interface RedisCacheBypassEvent {
  readonly op: 'lookup' | 'store' | 'purge' | 'update' | 'lock';
}
/** A limiter check was answered without Redis (`mode`: open, closed or local). */
export interface RedisLimiterFallbackEvent {
  readonly mode: 'open' | 'closed' | 'local';
}

export const redisStateChannel = channel('pingora-ts:redis:state');
export const redisCommandErrorChannel = channel('pingora-ts:redis:command-error');
export const redisCacheBypassChannel = channel('pingora-ts:redis:cache-bypass');
export const redisLimiterFallbackChannel = channel('pingora-ts:redis:limiter-fallback');
