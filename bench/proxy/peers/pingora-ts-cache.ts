/**
 * Peer: our caching proxy, the `cache` sample app, one process, with a
 * generated config: the origin as its one upstream, a 64 MiB LRU memory
 * storage, and `default_ttl_sec` so the origin's responses (which carry no
 * cache headers) are cached; after the warm-up every request is a hit.
 */
import { HOST } from '../lib/net.ts';
import { stopNodeServer } from '../lib/node-peer.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';
import { SampleApp, serverConf } from '../lib/sample-app.ts';

const APP = new SampleApp('cache');

export const pingoraTsCache: Peer = {
  name: 'pingora-ts-cache',
  kind: PeerKind.Cache,
  setup:
    'apps/cache from dist/, threads 1, 64 MiB LRU memory storage, default_ttl_sec 3600, cache lock on (hits after the warm-up)',
  tools: [],
  node: true,
  unavailable: () => APP.unavailable(),
  prepare: () => APP.build(),
  start: (ctx) =>
    APP.start('pingora-ts-cache', ctx, {
      ...serverConf(ctx),
      cache_proxy: {
        listen: [`${HOST}:${ctx.port}`],
        upstreams: [`${ctx.originHost}:${ctx.originPort}`],
        max_size_bytes: 64 * 1024 * 1024,
        eviction: 'lru',
        policy: 'pingora',
        default_ttl_sec: 3600,
      },
    }),
  stop: stopNodeServer,
};
