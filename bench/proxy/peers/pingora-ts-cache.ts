/**
 * Peer: our caching proxy, the `cache` sample app, one process, with a
 * generated config: the origin as its one upstream, a 64 MiB LRU memory
 * storage, and `default_ttl_sec` so the origin's responses (which carry no
 * cache headers) are cached; after the warm-up every request is a hit.
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
const APP = join(ROOT, 'apps', 'cache');
const MAIN = join(APP, 'dist', 'main.js');

export const pingoraTsCache: Peer = {
  name: 'pingora-ts-cache',
  kind: PeerKind.Cache,
  setup:
    'apps/cache from dist/, threads 1, 64 MiB LRU memory storage, default_ttl_sec 3600, cache lock on (hits after the warm-up)',
  tools: [],
  node: true,
  unavailable: () =>
    existsSync(join(APP, 'package.json')) ? undefined : 'apps/cache does not exist',
  prepare() {
    process.stderr.write('bench: building @pingora-ts/app-cache with turbo\n');
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'scripts', 'workspace.mjs'),
        'run',
        'turbo',
        'run',
        'build',
        '--filter=@pingora-ts/app-cache...',
        '--output-logs=errors-only',
      ],
      { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 600_000 },
    );
    if (r.status !== 0 || !existsSync(MAIN)) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `building apps/cache failed (status ${r.status}); ${MAIN} ${existsSync(MAIN) ? 'is stale' : 'is missing'}`,
      );
    }
  },
  start(ctx) {
    const conf = {
      version: 1,
      threads: 1,
      pid_file: join(ctx.dir, 'pingora.pid'),
      upgrade_sock: join(ctx.dir, 'upgrade.sock'),
      grace_period_seconds: 1,
      graceful_shutdown_timeout_seconds: 1,
      upstream_keepalive_pool_size: ctx.connections * 2,
      cache_proxy: {
        listen: [`${HOST}:${ctx.port}`],
        upstreams: [`${ctx.originHost}:${ctx.originPort}`],
        max_size_bytes: 64 * 1024 * 1024,
        eviction: 'lru',
        policy: 'pingora',
        default_ttl_sec: 3600,
      },
    };
    const path = join(ctx.dir, 'conf.yaml');
    writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`);
    return spawnChild('pingora-ts-cache', process.execPath, [...ctx.nodeArgs, MAIN, '-c', path], {
      cpu: ctx.cpu,
      cwd: APP,
      logPath: join(ctx.dir, 'pingora-ts-cache.log'),
    });
  },
  stop: stopNodeServer,
};
