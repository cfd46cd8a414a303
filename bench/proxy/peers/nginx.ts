/**
 * Peer: nginx as a reverse proxy, one worker, with an upstream keep-alive
 * pool sized to the client's connections (`keepalive`, HTTP/1.1 upstream and
 * an empty Connection header, as nginx's docs require for upstream keep-alive).
 * Request caps per connection are lifted on both sides so wrk's and the
 * pool's connections live through the run, as they do for every other peer.
 */
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import { type Peer, type PeerContext, PeerKind } from '../lib/peer.ts';

export const nginx: Peer = {
  name: 'nginx',
  kind: PeerKind.Native,
  setup:
    'nginx 1 worker, upstream keepalive = connections, proxy_http_version 1.1, default buffering',
  tools: ['nginx'],
  node: false,
  unavailable: () => undefined,
  start: (ctx) => startNginx('nginx', ctx.dir, nginxProxyHttp(ctx, `${HOST}:${ctx.port}`), ctx.cpu),
  stop: (child) => child.stop(),
};

/** The `http {}` body of nginx proxying to the origin, listening with `listen` (plus TLS lines). */
export function nginxProxyHttp(ctx: PeerContext, listen: string, serverExtra = ''): string {
  return `  keepalive_timeout 75s;
  keepalive_requests 100000000;
  upstream origin {
    server ${ctx.originHost}:${ctx.originPort};
    keepalive ${ctx.connections};
    keepalive_requests 100000000;
    keepalive_timeout 75s;
  }
  server {
    listen ${listen} backlog=4096;
${serverExtra}    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
}
