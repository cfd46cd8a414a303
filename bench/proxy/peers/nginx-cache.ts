/**
 * Peer: nginx as a caching reverse proxy (`proxy_cache`), one worker, the
 * cache zone on disk in the run's directory (the page cache keeps it in
 * memory), 200s valid for an hour, `proxy_cache_lock` on, upstream
 * keep-alive as for the nginx peer; after the warm-up every request is a hit.
 */
import { join } from 'node:path';
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import { type Peer, PeerKind } from '../lib/peer.ts';

export const nginxCache: Peer = {
  name: 'nginx-cache',
  kind: PeerKind.Cache,
  setup:
    'nginx 1 worker, proxy_cache (keys_zone 10m, max_size 64m, valid 200 1h, lock on), upstream keepalive = connections',
  tools: ['nginx'],
  node: false,
  unavailable: () => undefined,
  start(ctx) {
    const http = `  keepalive_timeout 75s;
  keepalive_requests 100000000;
  proxy_cache_path ${join(ctx.dir, 'cache')} levels=1:2 keys_zone=bench:10m max_size=64m inactive=1h use_temp_path=off;
  upstream origin {
    server ${ctx.originHost}:${ctx.originPort};
    keepalive ${ctx.connections};
    keepalive_requests 100000000;
    keepalive_timeout 75s;
  }
  server {
    listen ${HOST}:${ctx.port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_valid 200 1h;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }`;
    return startNginx('nginx-cache', ctx.dir, http, ctx.cpu);
  },
  stop: (child) => child.stop(),
};
