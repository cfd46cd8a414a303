/**
 * HttpPeer: an HTTP upstream (Pingora's HttpPeer): address, scheme, SNI, an
 * optional CONNECT proxy and client certificate, and PeerOptions. Its reuse
 * hash covers what Pingora's pooling guide lists (address, scheme, SNI,
 * client cert, verify cert, verify hostname, alternative CN, curves, proxy
 * settings, an opt-in group key) plus the CA bundle (Pingora leaves it out:
 * two peers differing only in the CA they trust must not share a connection).
 */
import { formatSocketAddr, parseSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';
import { ClientCertKey, type ClientCertKeyInit } from './client-cert.ts';
import {
  type ConnectProxy,
  type ConnectProxyInit,
  formatConnectProxy,
  resolveConnectProxy,
} from './connect-proxy.ts';
import type { Peer } from './peer.ts';
import { type PeerOptions, type PeerOptionsInit, resolvePeerOptions } from './peer-options.ts';
import { pemFingerprint } from './pem-fingerprint.ts';

export const Scheme = {
  HTTP: 'http',
  HTTPS: 'https',
} as const;
export type Scheme = (typeof Scheme)[keyof typeof Scheme];

export interface HttpPeerInit {
  /** Speak TLS to the upstream (scheme https). Default false. */
  readonly tls?: boolean | undefined;
  /** TLS server name. Default empty. */
  readonly sni?: string | undefined;
  /** Reach the upstream through this HTTP CONNECT proxy. */
  readonly proxy?: ConnectProxyInit | undefined;
  /** Certificate and key for mutual TLS. */
  readonly clientCert?: ClientCertKey | ClientCertKeyInit | undefined;
  /**
   * An extra discriminator for connection reuse (Pingora's group_key): peers
   * with different group keys never share connections. Default ''.
   */
  readonly groupKey?: string | undefined;
  readonly options?: PeerOptionsInit | undefined;
}

export class HttpPeer implements Peer {
  readonly address: SocketAddr;
  readonly scheme: Scheme;
  readonly sni: string;
  readonly proxy: ConnectProxy | undefined;
  readonly clientCert: ClientCertKey | undefined;
  readonly groupKey: string;
  /**
   * Connect options; they may be adjusted after construction (the reuse hash
   * follows changes to verifyCert, verifyHostname, alternativeCn, ca and curves).
   */
  readonly options: PeerOptions;
  #hash: string | undefined = undefined;
  // The hashed option values the cached hash was computed with.
  #hashedVerifyCert = false;
  #hashedVerifyHostname = false;
  #hashedAltCn: string | undefined = undefined;
  #hashedCa: PeerOptions['ca'] = undefined;
  #hashedCurves: string | undefined = undefined;
  #hashedCustomL4: PeerOptions['customL4'] = undefined;

  /** `address` is `ip:port`, `[ipv6]:port`, `unix:/path` or a SocketAddr. */
  constructor(address: string | SocketAddr, init: HttpPeerInit = {}) {
    this.address = typeof address === 'string' ? parseSocketAddr(address) : address;
    this.scheme = init.tls === true ? Scheme.HTTPS : Scheme.HTTP;
    this.sni = init.sni ?? '';
    this.proxy = init.proxy === undefined ? undefined : resolveConnectProxy(init.proxy);
    const cert = init.clientCert;
    this.clientCert =
      cert === undefined || cert instanceof ClientCertKey ? cert : new ClientCertKey(cert);
    this.groupKey = init.groupKey ?? '';
    this.options = resolvePeerOptions(init.options);
  }

  get tls(): boolean {
    return this.scheme === Scheme.HTTPS;
  }

  reuseHash(): string {
    const o = this.options;
    if (
      this.#hash !== undefined &&
      this.#hashedVerifyCert === o.verifyCert &&
      this.#hashedVerifyHostname === o.verifyHostname &&
      this.#hashedAltCn === o.alternativeCn &&
      this.#hashedCa === o.ca &&
      this.#hashedCurves === o.curves &&
      this.#hashedCustomL4 === o.customL4
    ) {
      return this.#hash;
    }
    this.#hashedVerifyCert = o.verifyCert;
    this.#hashedVerifyHostname = o.verifyHostname;
    this.#hashedAltCn = o.alternativeCn;
    this.#hashedCa = o.ca;
    this.#hashedCurves = o.curves;
    this.#hashedCustomL4 = o.customL4;
    const proxy = this.proxy;
    // JSON keeps the encoding unambiguous whatever the strings contain.
    this.#hash = JSON.stringify([
      'http',
      formatSocketAddr(this.address),
      this.scheme,
      this.sni,
      this.clientCert?.fingerprint ?? null,
      o.verifyCert,
      o.verifyHostname,
      o.alternativeCn ?? null,
      o.ca === undefined ? null : pemFingerprint(o.ca),
      o.curves ?? null,
      proxy === undefined
        ? null
        : [formatSocketAddr(proxy.nextHop), proxy.host, proxy.port, proxy.headers],
      this.groupKey,
      o.customL4 === undefined ? null : o.customL4.name,
    ]);
    return this.#hash;
  }

  toString(): string {
    let line = `addr: ${formatSocketAddr(this.address)}, scheme: ${this.scheme}`;
    if (this.sni !== '') line += `, sni: ${this.sni}`;
    if (this.proxy !== undefined) line += `, proxy: ${formatConnectProxy(this.proxy)}`;
    if (this.clientCert !== undefined) line += `, ${this.clientCert.toString()}`;
    return line;
  }
}
