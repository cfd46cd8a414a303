/**
 * GlobalRateLimiter: per-key limits shared by every proxy instance, as a
 * sliding-window counter in Redis (the previous fixed window weighted by
 * what is left of it, plus the current one): one script call per check,
 * O(1) memory per key, windows on Redis's clock so instances need not agree
 * on time. Checks issued in the same tick leave in one write. When Redis
 * cannot answer, `failMode` decides: a local Rate per instance, allow, or deny.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { Rate } from '@pingora-ts/limits';
import { redisLimiterFallbackChannel } from './redis-events.ts';
import { type RedisLike, RedisScript, replyNumber } from './redis-like.ts';

export type FailMode = 'local' | 'open' | 'closed';
export const FAIL_MODES: readonly FailMode[] = ['local', 'open', 'closed'];

export interface GlobalRateLimiterOptions {
  /** Requests allowed per window per key, all instances together. */
  limit: number;
  /** The window. Default 1000 ms. */
  windowMs?: number | undefined;
  /** Key prefix. Default `pingora:rl:`. */
  keyPrefix?: string | undefined;
  /** Without Redis: `local` (default) counts per instance, `open` allows, `closed` denies. */
  failMode?: FailMode | undefined;
  /** The per-instance limit in `local` mode. Default: `limit`. */
  localLimit?: number | undefined;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the window (0 when denied). */
  readonly remaining: number;
  /** Milliseconds until the current window ends. */
  readonly resetMs: number;
  /** Who decided: Redis or the fail mode. */
  readonly source: 'redis' | FailMode;
  /** The Redis window number (for tests and logs); -1 without Redis. */
  readonly window: number;
}

/** KEYS: base key. ARGV: window ms, limit, cost. Returns {allowed, remaining, reset ms, window}. */
const CHECK = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local idx = math.floor(now / w)
local ck = KEYS[1] .. ':' .. idx
local cur = tonumber(redis.call('GET', ck) or '0')
local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. (idx - 1)) or '0')
local into = now - idx * w
local est = prev * (w - into) / w + cur
if est + cost > limit then return {0, 0, w - into, idx} end
if redis.call('INCRBY', ck, cost) == cost then redis.call('PEXPIRE', ck, w * 2 + 1000) end
return {1, math.floor(limit - est - cost), w - into, idx}`);

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `GlobalRateLimiter ${name} must be an integer > 0, got ${v}`,
    );
  }
  return v;
}

export class GlobalRateLimiter {
  readonly redis: RedisLike;
  readonly limit: number;
  readonly windowMs: number;
  readonly failMode: FailMode;
  readonly localLimit: number;
  readonly #prefix: string;
  #local: Rate | undefined;

  constructor(redis: RedisLike, options: GlobalRateLimiterOptions) {
    this.redis = redis;
    this.limit = positiveInt('limit', options.limit);
    this.windowMs = positiveInt('windowMs', options.windowMs ?? 1000);
    this.failMode = options.failMode ?? 'local';
    if (!FAIL_MODES.includes(this.failMode)) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `GlobalRateLimiter failMode must be one of ${FAIL_MODES.join(', ')}, got ${this.failMode}`,
      );
    }
    this.localLimit = positiveInt('localLimit', options.localLimit ?? this.limit);
    this.#prefix = options.keyPrefix ?? 'pingora:rl:';
  }

  /** Counts `cost` requests of `id` and says whether they are allowed. Never rejects. */
  async check(id: string, cost = 1): Promise<RateDecision> {
    if (this.redis.ready) {
      try {
        const r = await this.redis.evalScript(
          CHECK,
          [`${this.#prefix}${id}`],
          [this.windowMs, this.limit, cost],
        );
        if (Array.isArray(r)) {
          return {
            allowed: replyNumber(r[0]) === 1,
            limit: this.limit,
            remaining: Math.max(0, replyNumber(r[1])),
            resetMs: replyNumber(r[2]),
            source: 'redis',
            window: replyNumber(r[3]),
          };
        }
      } catch {
        // unreachable, slow or failing: the fail mode answers
      }
    }
    return this.#fallback(id, cost);
  }

  #fallback(id: string, cost: number): RateDecision {
    const mode = this.failMode;
    if (redisLimiterFallbackChannel.hasSubscribers) redisLimiterFallbackChannel.publish({ mode });
    const w = this.windowMs;
    const resetMs = w - (Date.now() % w);
    if (mode === 'open') {
      return {
        allowed: true,
        limit: this.limit,
        remaining: this.limit,
        resetMs,
        source: mode,
        window: -1,
      };
    }
    if (mode === 'closed') {
      return { allowed: false, limit: this.limit, remaining: 0, resetMs, source: mode, window: -1 };
    }
    this.#local ??= new Rate(w);
    const seen = this.#local.observe(id, cost);
    const limit = this.localLimit;
    return {
      allowed: seen <= limit,
      limit,
      remaining: Math.max(0, limit - seen),
      resetMs,
      source: mode,
      window: -1,
    };
  }
}

/** The 429 answer's headers: Retry-After (whole seconds, at least 1) and X-Rate-Limit-*. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const resetSec = String(Math.max(1, Math.ceil(d.resetMs / 1000)));
  const h: Record<string, string> = {
    'X-Rate-Limit-Limit': String(d.limit),
    'X-Rate-Limit-Remaining': String(d.remaining),
    'X-Rate-Limit-Reset': resetSec,
  };
  if (!d.allowed) h['Retry-After'] = resetSec;
  return h;
}
