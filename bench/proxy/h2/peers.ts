/**
 * The peers of the HTTP/2 section, all serving h2c and relaying to the
 * HTTP/1.1 nginx origin: our load-balancer with `h2c: true`, nginx as an h2
 * proxy (`listen ... http2`, upstream keep-alive), and the bare node:http2
 * core-API relay as the Node ceiling.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Child, spawnChild } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import type { PeerContext } from '../lib/peer.ts';
import { pingoraTs } from '../peers/pingora-ts.ts';

export interface H2Peer {
  readonly name: string;
  readonly setup: string;
  /** Build step before the first start (our gateway), if any. */
  prepare?(): void;
  start(ctx: PeerContext): Child;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
const LB_MAIN = join(ROOT, 'apps', 'load-balancer', 'dist', 'main.js');

export const H2_PEERS: readonly H2Peer[] = [
  {
    name: 'pingora-ts',
    setup: 'apps/load-balancer from dist/, threads 1, h2c: true, HTTP/1.1 upstream keep-alive',
    prepare: () => pingoraTs.prepare?.(),
    start(ctx) {
      const conf = {
        version: 1,
        threads: 1,
        pid_file: join(ctx.dir, 'pingora.pid'),
        upgrade_sock: join(ctx.dir, 'upgrade.sock'),
        grace_period_seconds: 1,
        graceful_shutdown_timeout_seconds: 1,
        upstream_keepalive_pool_size: ctx.connections * 16,
        load_balancer: {
          listen: [`${HOST}:${ctx.port}`],
          upstreams: [`${ctx.originHost}:${ctx.originPort}`],
          health_check: { type: 'tcp', interval_ms: 3_600_000 },
          h2c: true,
        },
      };
      const path = join(ctx.dir, 'conf.yaml');
      writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`);
      return spawnChild('pingora-ts', process.execPath, [...ctx.nodeArgs, LB_MAIN, '-c', path], {
        cpu: ctx.cpu,
        logPath: join(ctx.dir, 'pingora-ts.log'),
      });
    },
  },
  {
    name: 'nginx',
    setup: 'nginx 1 worker, listen http2 (h2c), upstream keepalive, proxy_http_version 1.1',
    start(ctx) {
      const http = `  keepalive_timeout 75s;
  http2_max_requests 100000000;
  upstream origin {
    server ${ctx.originHost}:${ctx.originPort};
    keepalive ${ctx.connections * 8};
    keepalive_requests 100000000;
  }
  server {
    listen ${HOST}:${ctx.port} http2 backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
      return startNginx('nginx-h2', ctx.dir, http, ctx.cpu);
    },
  },
  {
    name: 'node:http2 relay',
    setup:
      'bare node:http2 core API (stream/respond) relaying through an undici Pool: the Node ceiling',
    start(ctx) {
      const server = join(import.meta.dirname, '..', 'servers', 'node-h2-relay.mjs');
      return spawnChild(
        'node-h2-relay',
        process.execPath,
        [server, String(ctx.port), `${ctx.originHost}:${ctx.originPort}`, String(ctx.connections)],
        { cpu: ctx.cpu, logPath: join(ctx.dir, 'node-h2-relay.log') },
      );
    },
  },
];
