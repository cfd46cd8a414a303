/**
 * The rows of the TLS section: our gateway terminating TLS (the
 * load-balancer sample's `tls_listen` and `tls` keys) and nginx terminating
 * TLS with the same certificate and key files, plus both in plaintext as the
 * reference for the section's ratios. Each TLS row gets the certificate of
 * the run in its context.
 */
import type { Child } from '../lib/children.ts';
import { HOST } from '../lib/net.ts';
import { startNginx } from '../lib/nginx.ts';
import type { Peer, PeerContext } from '../lib/peer.ts';
import type { TlsCert } from '../lib/tls-certs.ts';
import { nginx, nginxProxyHttp } from './nginx.ts';
import { gatewayConf, pingoraTs, startGateway } from './pingora-ts.ts';

export interface TlsPeerContext extends PeerContext {
  /** The certificate to terminate TLS with (TLS rows only read it). */
  readonly cert: TlsCert;
  /** A second free port, for a listener the row needs besides the measured one. */
  readonly sparePort: number;
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

const pingoraTsTls: TlsSectionPeer = {
  ...pingoraTs,
  name: OURS_TLS,
  scheme: 'https',
  setup: `${pingoraTs.setup}; TLS on tls_listen with the run's certificate (tls.cert_path/key_path), plaintext listen on a spare port`,
  start(ctx) {
    const conf = gatewayConf(ctx);
    conf.load_balancer = {
      ...conf.load_balancer,
      listen: [`${HOST}:${ctx.sparePort}`],
      tls_listen: [`${HOST}:${ctx.port}`],
      tls: { cert_path: ctx.cert.certPath, key_path: ctx.cert.keyPath },
    };
    return startGateway(ctx, conf);
  },
};

const nginxTls: TlsSectionPeer = {
  ...nginx,
  name: NGINX_TLS,
  scheme: 'https',
  setup: `${nginx.setup}; listen ssl with the same certificate, ssl_protocols TLSv1.2 TLSv1.3, default session cache and tickets`,
  start(ctx) {
    const tls = `    ssl_certificate ${ctx.cert.certPath};
    ssl_certificate_key ${ctx.cert.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
`;
    return startNginx(
      NGINX_TLS,
      ctx.dir,
      nginxProxyHttp(ctx, `${HOST}:${ctx.port} ssl`, tls),
      ctx.cpu,
    );
  },
};

/** Report order: ours with TLS, nginx with TLS, then the plaintext references. */
export const TLS_PEERS: readonly TlsSectionPeer[] = [
  pingoraTsTls,
  nginxTls,
  { ...pingoraTs, scheme: 'http' },
  { ...nginx, scheme: 'http' },
];
