/**
 * The rate-limiter app (Pingora's rate_limiter example): a round-robin
 * load-balancing proxy that counts requests per client id (a request header)
 * in a one-second Rate window. Past the limit it answers 429 itself, with
 * X-Rate-Limit-Limit, -Remaining and -Reset; allowed responses carry the
 * limit and what remains. Requests without a client id are not limited.
 * With a `redis:` sub-section the limit is global (shared by every instance
 * through Redis) and a 429 also carries Retry-After; `fail_mode` says what
 * happens while Redis is unreachable.
 */
import {
  configField,
  defineConfigSchema,
  HttpPeer,
  parseSocketAddr,
  sharedInt32,
} from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { Rate } from '@pingora-ts/limits';
import {
  type LbLogger,
  LoadBalancer,
  RoundRobin,
  TcpHealthCheck,
} from '@pingora-ts/load-balancing';
import type { ProxyHttp } from '@pingora-ts/proxy';
import {
  FAIL_MODES,
  type FailMode,
  GlobalRateLimiter,
  NodeRedisClient,
  optionalConfigObject,
  type RateDecision,
  type RedisStateEvent,
  rateLimitHeaders,
  redisClientOptions,
  redisConfigFields,
} from '@pingora-ts/redis';

function checkAddr(addr: string): string | undefined {
  try {
    return parseSocketAddr(addr).kind === 'inet' ? undefined : 'only ip:port endpoints';
  } catch {
    return `"${addr}" is not "ip:port" or "[ipv6]:port"`;
  }
}

/** `rate_limiter.redis`: the Redis connection plus what to do without it. */
const redisLimiterSchema = defineConfigSchema({
  ...redisConfigFields,
  failMode: configField.string({
    key: 'fail_mode',
    default: 'local',
    check: (v) =>
      (FAIL_MODES as readonly string[]).includes(v)
        ? undefined
        : `expected one of ${FAIL_MODES.join(', ')}`,
  }),
  localMaxRequestsPerSecond: configField.integer({
    key: 'local_max_requests_per_second',
    min: 1,
    max: 1_000_000,
  }),
});

export const rateLimiterConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6199'], maxItems: 64, item: checkAddr }),
  upstreams: configField.stringList({ required: true, maxItems: 1024, item: checkAddr }),
  clientIdHeader: configField.string({ key: 'client_id_header', default: 'appid' }),
  maxRequestsPerSecond: configField.integer({
    key: 'max_requests_per_second',
    default: 1,
    min: 1,
    max: 1_000_000,
  }),
  healthCheckIntervalMs: configField.integer({
    key: 'health_check_interval_ms',
    default: 1000,
    min: 10,
    max: 3_600_000,
  }),
  redis: optionalConfigObject(redisLimiterSchema),
});

export type RateLimiterConfig = ReturnType<typeof rateLimiterConfigSchema.read>;

/** The window the limit counts in: one second, as the limit is per second. */
const WINDOW_MS = 1000;

interface Ctx {
  /** Requests left in this client's window, or undefined for an unlimited request. */
  remaining: number | undefined;
  tried: string[];
}

export interface RateLimiter {
  readonly proxy: ProxyHttp<Ctx>;
  readonly lb: LoadBalancer;
  /** The Redis connection of a global limit (close it on shutdown). */
  readonly redis: NodeRedisClient | undefined;
}

interface StateLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

function globalLimiter(
  config: RateLimiterConfig,
  log: StateLogger | undefined,
): { client: NodeRedisClient; limiter: GlobalRateLimiter } | undefined {
  const r = config.redis;
  if (r === undefined) return undefined;
  // one line per change (not one per reconnect attempt while Redis stays away)
  let up: boolean | undefined;
  const onState = (e: RedisStateEvent) => {
    if (e.state === 'ready') {
      up = true;
      log?.info({ redis: e.name }, 'redis connected: the limit is global');
    } else if (up !== false) {
      up = false;
      log?.warn({ redis: e.name, error: e.error }, `redis ${e.state}: fail mode ${r.failMode}`);
    }
  };
  const client = new NodeRedisClient({ ...redisClientOptions(r, 'rate-limiter'), onState });
  void client.connect();
  const limiter = new GlobalRateLimiter(client, {
    limit: config.maxRequestsPerSecond,
    windowMs: WINDOW_MS,
    keyPrefix: `${r.keyPrefix}rl:`,
    failMode: r.failMode as FailMode,
    localLimit: r.localMaxRequestsPerSecond,
  });
  return { client, limiter };
}

export function rateLimiter(
  config: RateLimiterConfig,
  logger?: LbLogger,
  stateLogger?: StateLogger,
): RateLimiter {
  const limit = config.maxRequestsPerSecond;
  const header = config.clientIdHeader.toLowerCase();
  // With `threads: N` every server thread counts in the same memory: the limit is per process.
  const shared = sharedInt32('rate-limiter/rate', Rate.sharedLength());
  const rate = new Rate(WINDOW_MS, shared === undefined ? {} : { shared });
  const global = globalLimiter(config, stateLogger);
  const lb = LoadBalancer.fromAddrs(config.upstreams, RoundRobin, {
    healthCheck: new TcpHealthCheck({ connectTimeoutMs: 1000 }),
    healthCheckFrequencyMs: config.healthCheckIntervalMs,
    parallelHealthCheck: true,
    ...(logger === undefined ? {} : { logger }),
  });
  const limitText = String(limit);

  const proxy: ProxyHttp<Ctx> = {
    newCtx: () => ({ remaining: undefined, tried: [] }),

    async requestFilter(session, ctx) {
      const id = session.reqHeader.getHeader(header);
      if (id === undefined || id === '') return false;
      if (global !== undefined) {
        const d: RateDecision = await global.limiter.check(id);
        if (d.allowed) {
          ctx.remaining = d.remaining;
          return false;
        }
        session.disableKeepalive();
        await session.respond(429, 'too many requests\n', {
          'Content-Type': 'text/plain',
          ...rateLimitHeaders(d),
        });
        return true;
      }
      const seen = rate.observe(id, 1);
      if (seen <= limit) {
        ctx.remaining = limit - seen;
        return false;
      }
      session.disableKeepalive();
      await session.respond(429, 'too many requests\n', {
        'Content-Type': 'text/plain',
        'X-Rate-Limit-Limit': limitText,
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Reset': '1',
      });
      return true;
    },

    upstreamPeer(_session, ctx) {
      const backend = lb.selectWith('', 256, (b, ready) => ready && !ctx.tried.includes(b.addr));
      if (backend === undefined) throw PingoraError.httpStatus(503, 'no healthy upstream');
      ctx.tried.push(backend.addr);
      return new HttpPeer(backend.socketAddr, { options: { connectionTimeout: 1000 } });
    },

    failToConnect: (_session, _peer, _ctx, error) => error.withRetry(true),

    responseFilter(_session, response, ctx) {
      if (ctx.remaining === undefined) return;
      response.insertHeader('X-Rate-Limit-Limit', limitText);
      response.insertHeader('X-Rate-Limit-Remaining', ctx.remaining);
    },
  };
  return { proxy, lb, redis: global?.client };
}
