/**
 * The multi-LB app (Pingora's multi_lb example): two upstream groups, each a
 * round-robin LoadBalancer with a TCP health check, chosen by the request's
 * Host. A failed connect is reported to the group (passive health) and
 * retried on another upstream; a GET or HEAD whose upstream dies before
 * answering is retried too, so losing an upstream costs clients nothing.
 */
import { configField, defineConfigSchema, HttpPeer, parseSocketAddr } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import {
  type Backend,
  type LbLogger,
  LoadBalancer,
  RoundRobin,
  TcpHealthCheck,
} from '@pingora-ts/load-balancing';
import { defaultErrorWhileProxy, type ProxyHttp } from '@pingora-ts/proxy';

function checkAddr(addr: string): string | undefined {
  try {
    return parseSocketAddr(addr).kind === 'inet' ? undefined : 'only ip:port endpoints';
  } catch {
    return `"${addr}" is not "ip:port" or "[ipv6]:port"`;
  }
}

const groupSchema = defineConfigSchema({
  hosts: configField.stringList({ required: true, maxItems: 64 }),
  upstreams: configField.stringList({ required: true, maxItems: 1024, item: checkAddr }),
});

export const multiLbConfigSchema = defineConfigSchema({
  listen: configField.stringList({ default: ['127.0.0.1:6198'], maxItems: 64, item: checkAddr }),
  healthCheckIntervalMs: configField.integer({
    key: 'health_check_interval_ms',
    default: 1000,
    min: 10,
    max: 3_600_000,
  }),
  one: configField.object(groupSchema),
  two: configField.object(groupSchema),
});

export type MultiLbConfig = ReturnType<typeof multiLbConfigSchema.read>;

interface Ctx {
  group: LoadBalancer | undefined;
  backend: Backend | undefined;
  tried: Set<string>;
}

export interface MultiLb {
  readonly proxy: ProxyHttp<Ctx>;
  readonly groups: ReadonlyMap<string, LoadBalancer>;
}

export function multiLb(config: MultiLbConfig, logger?: LbLogger): MultiLb {
  const byHost = new Map<string, LoadBalancer>();
  const groups = new Map<string, LoadBalancer>();
  for (const [name, group] of [
    ['one', config.one],
    ['two', config.two],
  ] as const) {
    const lb = LoadBalancer.fromAddrs(group.upstreams, RoundRobin, {
      healthCheck: new TcpHealthCheck({ connectTimeoutMs: 1000 }),
      healthCheckFrequencyMs: config.healthCheckIntervalMs,
      parallelHealthCheck: true,
      passiveHealth: { consecutiveFailures: 1, cooldownMs: config.healthCheckIntervalMs },
      ...(logger === undefined ? {} : { logger }),
    });
    groups.set(name, lb);
    for (const host of group.hosts) byHost.set(host.toLowerCase(), lb);
  }

  const proxy: ProxyHttp<Ctx> = {
    newCtx: () => ({ group: undefined, backend: undefined, tried: new Set() }),

    async requestFilter(session, ctx) {
      const host = session.reqHeader.getHeader('host') ?? '';
      ctx.group = byHost.get(host.replace(/:\d+$/, '').toLowerCase());
      if (ctx.group !== undefined) return false;
      await session.respondError(404);
      return true;
    },

    upstreamPeer(_session, ctx) {
      const backend = ctx.group!.selectWith('', 256, (b, ready) => ready && !ctx.tried.has(b.addr));
      if (backend === undefined) {
        throw PingoraError.httpStatus(503, 'no healthy upstream left in the group');
      }
      ctx.tried.add(backend.addr);
      ctx.backend = backend;
      return new HttpPeer(backend.socketAddr, {
        options: { connectionTimeout: 1000, readTimeout: 10_000 },
      });
    },

    failToConnect(_session, _peer, ctx, error) {
      if (ctx.backend !== undefined) ctx.group?.reportFailure(ctx.backend, error);
      return error.withRetry(true);
    },

    errorWhileProxy(peer, session, error, ctx, clientReused) {
      const e = defaultErrorWhileProxy(peer, session, error, clientReused);
      const method = session.reqHeader.method;
      // Nothing reached the client yet and the request is safe to repeat: try another upstream.
      if (!session.responseStarted && (method === 'GET' || method === 'HEAD')) {
        if (ctx.backend !== undefined) ctx.group?.reportFailure(ctx.backend, error);
        e.withRetry(true);
      }
      return e;
    },

    logging(_session, error, ctx) {
      if (error === undefined && ctx.backend !== undefined) ctx.group?.reportSuccess(ctx.backend);
    },
  };

  if (byHost.size === 0) {
    throw PingoraError.explain(ErrorType.ConfigError, 'multi_lb: no hosts configured');
  }
  return { proxy, groups };
}
