/**
 * Peer: our gateway, the `load-balancer` sample app, one process with
 * `threads: 1` (`pingora-ts`) or `threads: 2` with work stealing
 * (`pingora-ts-threads-2`: give it two CPUs with --proxy-cpu), built with
 * turbo and run from its dist/ as users run it, with a generated config
 * pointing at the origin and an upstream keep-alive pool sized to the
 * client's connections (per thread: each thread has its own pool).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { spawnChild } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const APP = join(ROOT, 'apps', 'load-balancer');
const MAIN = join(APP, 'dist', 'main.js');

function pingoraTsPeer(name: string, threads: number): Peer {
  return {
    name,
    kind: PeerKind.Ours,
    setup: `apps/load-balancer from dist/, threads ${threads}${threads > 1 ? ' (work stealing)' : ''}, upstream_keepalive_pool_size = 2x connections, round robin over the one origin`,
    tools: [],
    node: true,
    unavailable: () =>
      existsSync(join(APP, 'package.json')) ? undefined : 'apps/load-balancer does not exist yet',
    prepare() {
      process.stderr.write('bench: building @pingora-ts/app-load-balancer with turbo\n');
      const r = spawnSync(
        process.execPath,
        [
          join(ROOT, 'scripts', 'workspace.mjs'),
          'run',
          'turbo',
          'run',
          'build',
          '--filter=@pingora-ts/app-load-balancer...',
          '--output-logs=errors-only',
        ],
        // Build output goes to stderr: stdout carries only the report.
        { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 600_000 },
      );
      if (r.status !== 0 || !existsSync(MAIN)) {
        throw PingoraError.explain(
          ErrorType.InternalError,
          `building apps/load-balancer failed (status ${r.status}); ${MAIN} ${existsSync(MAIN) ? 'is stale' : 'is missing'}`,
        );
      }
    },
    start(ctx) {
      // JSON is YAML: the app reads it with its YAML loader. Health checks run
      // once at start only: a TCP check every second would add origin
      // connections that are not proxying (and skew the upstream count).
      const conf = {
        version: 1,
        threads,
        work_stealing: true,
        pid_file: join(ctx.dir, 'pingora.pid'),
        upgrade_sock: join(ctx.dir, 'upgrade.sock'),
        grace_period_seconds: 1,
        graceful_shutdown_timeout_seconds: 1,
        upstream_keepalive_pool_size: ctx.connections * 2,
        load_balancer: {
          listen: [`${HOST}:${ctx.port}`],
          upstreams: [`${ctx.originHost}:${ctx.originPort}`],
          health_check: { type: 'tcp', interval_ms: 3_600_000 },
        },
      };
      const path = join(ctx.dir, 'conf.yaml');
      writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`);
      return spawnChild(name, process.execPath, [...ctx.nodeArgs, MAIN, '-c', path], {
        cpu: ctx.cpu,
        cwd: APP,
        logPath: join(ctx.dir, `${name}.log`),
      });
    },
    stop: stopNodeServer,
  };
}

export const pingoraTs: Peer = pingoraTsPeer('pingora-ts', 1);
/** threads: 2 against threads: 1 in the same run: compare req per proxy CPU-second. */
export const pingoraTsThreads2: Peer = pingoraTsPeer('pingora-ts-threads-2', 2);
