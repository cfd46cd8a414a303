/**
 * The peers of the HTTP/2 section, all relaying to the HTTP/1.1 nginx
 * origin, each either as h2c (prior knowledge) or as h2 over TLS (ALPN) with
 * the run's certificate: our load-balancer (`h2c: true`, or `tls_listen`
 * whose ALPN offers h2 by default), nginx as an h2 proxy (`listen ... http2`,
 * `ssl` for TLS, upstream keep-alive) and the bare node:http2 core-API relay
 * as the Node ceiling.
 */
import { join } from 'node:path';
import { type Child, spawnChild } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import type { PeerContext } from '../lib/peer.ts';
import type { TlsCert } from '../lib/tls-certs.ts';
import { gatewayConf, pingoraTs, startGateway } from '../peers/pingora-ts.ts';

export const H2Mode = {
  /** HTTP/2 with prior knowledge on a plaintext port. */
  H2c: 'h2c',
  /** HTTP/2 over TLS, chosen by ALPN. */
  H2: 'h2',
} as const;
export type H2Mode = (typeof H2Mode)[keyof typeof H2Mode];

export interface H2PeerContext extends PeerContext {
  /** The certificate for h2 over TLS; undefined for h2c. */
  readonly cert: TlsCert | undefined;
  /** A second free port, for a listener the peer needs besides the measured one. */
  readonly sparePort: number;
}

export interface H2Peer {
  readonly name: string;
  readonly setup: string;
  /** Build step before the first start (our gateway), if any. */
  prepare?(): void;
  start(ctx: H2PeerContext): Child;
}

export const OURS_H2 = 'pingora-ts';
export const NGINX_H2 = 'nginx';
export const RELAY_H2 = 'node:http2 relay';

export const H2_PEERS: readonly H2Peer[] = [
  {
    name: OURS_H2,
    setup:
      'apps/load-balancer from dist/, threads 1, `h2c: true` (h2c) or `tls_listen` + `tls` (h2 by ALPN, the default h2h1), HTTP/1.1 upstream keep-alive',
    prepare: () => pingoraTs.prepare?.(),
    start(ctx) {
      const conf = gatewayConf(ctx);
      conf.upstream_keepalive_pool_size = ctx.connections * 16;
      conf.load_balancer =
        ctx.cert === undefined
          ? { ...conf.load_balancer, h2c: true }
          : {
              ...conf.load_balancer,
              listen: [`${HOST}:${ctx.sparePort}`],
              tls_listen: [`${HOST}:${ctx.port}`],
              tls: { cert_path: ctx.cert.certPath, key_path: ctx.cert.keyPath },
            };
      return startGateway(ctx, conf);
    },
  },
  {
    name: NGINX_H2,
    setup:
      'nginx 1 worker, `listen ... http2` (h2c) or `listen ... ssl http2` with the same certificate (h2), keepalive_requests lifted, upstream keepalive, proxy_http_version 1.1',
    start(ctx) {
      const tls =
        ctx.cert === undefined
          ? ''
          : `    ssl_certificate ${ctx.cert.certPath};
    ssl_certificate_key ${ctx.cert.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
`;
      // nginx >= 1.19.7 caps requests per HTTP/2 connection with keepalive_requests
      // (default 1000; http2_max_requests is obsolete): past it nginx sends GOAWAY and
      // h2load, which does not reconnect in a timed run, stops sending on that connection.
      const http = `  keepalive_timeout 75s;
  keepalive_requests 100000000;
  upstream origin {
    server ${ctx.originHost}:${ctx.originPort};
    keepalive ${ctx.connections * 8};
    keepalive_requests 100000000;
  }
  server {
    listen ${HOST}:${ctx.port} ${ctx.cert === undefined ? '' : 'ssl '}http2 backlog=4096;
${tls}    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
      return startNginx('nginx-h2', ctx.dir, http, ctx.cpu);
    },
  },
  {
    name: RELAY_H2,
    setup:
      'bare node:http2 core API (stream/respond; createSecureServer with ALPN h2 for TLS) relaying through an undici Pool: the Node ceiling',
    start(ctx) {
      const server = join(import.meta.dirname, '..', 'servers', 'node-h2-relay.mjs');
      const tls = ctx.cert === undefined ? [] : [ctx.cert.certPath, ctx.cert.keyPath];
      return spawnChild(
        'node-h2-relay',
        process.execPath,
        [
          server,
          String(ctx.port),
          `${ctx.originHost}:${ctx.originPort}`,
          String(ctx.connections),
          ...tls,
        ],
        { cpu: ctx.cpu, logPath: join(ctx.dir, 'node-h2-relay.log') },
      );
    },
  },
];
