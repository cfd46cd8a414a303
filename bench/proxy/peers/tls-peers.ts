/**
 * The rows of the TLS section: our gateway terminating TLS (the
 * load-balancer sample's `tls_listen` and `tls` keys) and nginx terminating
 * TLS with the same certificate and key files, plus both in plaintext as the
 * reference for the section's ratios. Each TLS row gets the certificate of
 * the run in its context. Both TLS rows run the same TLS: Mozilla's
 * intermediate ciphers in the server's order (AES-128-GCM first; our default,
 * set explicitly on nginx), OpenSSL's default groups (X25519 with these
 * clients), no server-side session cache (ours has none while tickets are
 * on; nginx's `ssl_session_cache off`), and session tickets except in the
 * full-handshake workload, where both turn them off (and ours its cache,
 * which it would otherwise keep without tickets).
 */

import { join } from 'node:path';
import { DEFAULT_TLS_CIPHERS } from '@pingora-ts/core/tls';
import { type Child, spawnChild } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import { SERVERS_DIR } from '../lib/node-peer.ts';
import type { Peer, PeerContext } from '../lib/peer.ts';
import type { TlsCert } from '../lib/tls-certs.ts';
import { nginx, nginxProxyHttp } from './nginx.ts';
import { nodeTcpRelay } from './node-tcp-relay.ts';
import { gatewayConf, pingoraTs, startGateway } from './pingora-ts.ts';

export interface TlsPeerContext extends PeerContext {
  /** The certificate to terminate TLS with (TLS rows only read it). */
  readonly cert: TlsCert;
  /** A second free port, for a listener the row needs besides the measured one. */
  readonly sparePort: number;
  /** Issue session tickets (off for the full-handshake workload, on both TLS rows). */
  readonly tickets: boolean;
}

export interface TlsSectionPeer extends Omit<Peer, 'start' | 'stop'> {
  /** What clients speak to it. */
  readonly scheme: 'http' | 'https';
  start(ctx: TlsPeerContext): Child;
  stop(child: Child, ctx: TlsPeerContext): Promise<void>;
}

export const OURS_TLS = 'pingora-ts-tls';
export const OURS_PLAIN = 'pingora-ts';
export const NGINX_TLS = 'nginx-tls';
export const NGINX_PLAIN = 'nginx';
export const NODE_TLS_RELAY = 'node-tls-relay';

const pingoraTsTls: TlsSectionPeer = {
  ...pingoraTs,
  name: OURS_TLS,
  scheme: 'https',
  setup: `${pingoraTs.setup}; TLS on tls_listen with the run's certificate (tls.cert_path/key_path), session_cache_size 0, plaintext listen on a spare port`,
  start(ctx) {
    const conf = gatewayConf(ctx);
    conf.load_balancer = {
      ...conf.load_balancer,
      listen: [`${HOST}:${ctx.sparePort}`],
      tls_listen: [`${HOST}:${ctx.port}`],
      tls: {
        cert_path: ctx.cert.certPath,
        key_path: ctx.cert.keyPath,
        session_tickets: ctx.tickets,
        // Without tickets our listener keeps a session cache by default: off, as nginx's.
        session_cache_size: 0,
      },
    };
    return startGateway(ctx, conf);
  },
};

const nginxTls: TlsSectionPeer = {
  ...nginx,
  name: NGINX_TLS,
  scheme: 'https',
  setup: `${nginx.setup}; listen ssl with the same certificate, ssl_protocols TLSv1.2 TLSv1.3, our default ciphers in the server's order, ssl_session_cache off, tickets as ours`,
  start(ctx) {
    const [suites, tls12] = splitCiphers(DEFAULT_TLS_CIPHERS);
    const tls = `    ssl_certificate ${ctx.cert.certPath};
    ssl_certificate_key ${ctx.cert.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${tls12};
    ssl_conf_command Ciphersuites ${suites};
    ssl_prefer_server_ciphers on;
    ssl_session_cache off;
    ssl_session_tickets ${ctx.tickets ? 'on' : 'off'};
`;
    return startNginx(
      NGINX_TLS,
      ctx.dir,
      nginxProxyHttp(ctx, `${HOST}:${ctx.port} ssl`, tls),
      ctx.cpu,
    );
  },
};

/** The TLS twin of node-tcp-relay: node:tls piping to the origin, the floor of node:tls's own cost. */
const nodeTlsRelay: TlsSectionPeer = {
  ...nodeTcpRelay,
  name: NODE_TLS_RELAY,
  scheme: 'https',
  setup:
    'node:tls (same certificate, ciphers and tickets as ours), each client connection piped to a new origin socket: no HTTP work, the floor of node:tls',
  start: (ctx) =>
    spawnChild(
      NODE_TLS_RELAY,
      process.execPath,
      [
        ...ctx.nodeArgs,
        join(SERVERS_DIR, 'node-tls-relay.mjs'),
        String(ctx.port),
        `${ctx.originHost}:${ctx.originPort}`,
        String(ctx.connections),
        ctx.cert.certPath,
        ctx.cert.keyPath,
        DEFAULT_TLS_CIPHERS,
        ctx.tickets ? 'tickets' : 'no-tickets',
      ],
      { cpu: ctx.cpu, logPath: join(ctx.dir, `${NODE_TLS_RELAY}.log`) },
    ),
};

/** OpenSSL's one cipher string as nginx needs it: TLS 1.3 suites and the TLS 1.2 list. */
function splitCiphers(all: string): [string, string] {
  const parts = all.split(':');
  return [
    parts.filter((c) => c.startsWith('TLS_')).join(':'),
    parts.filter((c) => !c.startsWith('TLS_')).join(':'),
  ];
}

/** Report order: ours with TLS, nginx with TLS, the node:tls floor, then the plaintext references. */
export const TLS_PEERS: readonly TlsSectionPeer[] = [
  pingoraTsTls,
  nginxTls,
  nodeTlsRelay,
  { ...pingoraTs, scheme: 'http' },
  { ...nginx, scheme: 'http' },
];
