/**
 * Peers: our gateway, the `load-balancer` sample app, one process
 * (`threads: 1`; `pingora-ts-threads-2` with two threads), built with turbo and run from its dist/ as users run it,
 * with a generated config pointing at the origin and an upstream keep-alive
 * pool sized to the client's connections.
 */
import type { Child } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { SERVERS_DIR, stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, type PeerContext, PeerKind } from '../lib/peer.ts';
import { SampleApp, serverConf } from '../lib/sample-app.ts';

const APP = new SampleApp('load-balancer');

export const pingoraTs: Peer = {
  name: 'pingora-ts',
  kind: PeerKind.Ours,
  setup:
    'apps/load-balancer from dist/, threads 1, upstream_keepalive_pool_size = 2x connections, round robin over the one origin',
  tools: [],
  node: true,
  unavailable: () => APP.unavailable(),
  prepare: () => APP.build(),
  start: (ctx) => startGateway(ctx, gatewayConf(ctx)),
  stop: stopNodeServer,
};

/**
 * The gateway's config for `ctx`. Health checks run once at start only: a
 * TCP check every second would add origin connections that are not
 * proxying (and skew the upstream count).
 */
export function gatewayConf(ctx: PeerContext): {
  load_balancer: Record<string, unknown>;
  [key: string]: unknown;
} {
  return {
    ...serverConf(ctx),
    load_balancer: {
      listen: [`${HOST}:${ctx.port}`],
      upstreams: [`${ctx.originHost}:${ctx.originPort}`],
      health_check: { type: 'tcp', interval_ms: 3_600_000 },
    },
  };
}

/** Writes `conf` into the run's directory and starts the built gateway on it. */
export function startGateway(ctx: PeerContext, conf: object): Child {
  return APP.start('pingora-ts', ctx, conf);
}

/**
 * The same gateway with `threads: 2` and work stealing, against `threads: 1`
 * in the same run: compare requests per proxy CPU-second (each thread keeps
 * its own upstream pool).
 */
export const pingoraTsThreads2: Peer = {
  ...pingoraTs,
  name: 'pingora-ts-threads-2',
  setup:
    'apps/load-balancer from dist/, threads 2 (work stealing), upstream_keepalive_pool_size = 2x connections, round robin over the one origin',
  start: (ctx) => startGateway(ctx, { ...gatewayConf(ctx), threads: 2, work_stealing: true }),
};

/**
 * The other design `threads: 2` is compared against: two processes of the
 * same gateway (`threads: 1` each) on one SO_REUSEPORT port, each with its
 * own upstream pool, health checks and load-balancer counters.
 */
export const pingoraTsProcs2: Peer = {
  ...pingoraTs,
  name: 'pingora-ts-procs-2',
  setup:
    'apps/load-balancer from dist/, 2 processes (threads 1 each) joined on one SO_REUSEPORT port, upstream_keepalive_pool_size = 2x connections each',
  start: (ctx) => {
    const path = join(ctx.dir, 'conf.yaml');
    writeFileSync(path, `${JSON.stringify(gatewayConf(ctx), null, 2)}\n`);
    return spawnChild(
      'pingora-ts',
      process.execPath,
      [join(SERVERS_DIR, 'gateway-procs.mjs'), '2', ...ctx.nodeArgs, MAIN, '-c', path],
      { cpu: ctx.cpu, cwd: APP, logPath: join(ctx.dir, 'pingora-ts.log') },
    );
  },
};
