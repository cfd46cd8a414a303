/**
 * BasicPeer: the simplest Peer (Pingora's BasicPeer): an address, an
 * optional SNI (TLS when set) and options. Its connections are shared only
 * with BasicPeers to the same address and SNI and, for TLS, the same
 * verification settings, CA and curves.
 */
import { formatSocketAddr, parseSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';
import type { Peer } from './peer.ts';
import { type PeerOptions, type PeerOptionsInit, resolvePeerOptions } from './peer-options.ts';
import { pemFingerprint } from './pem-fingerprint.ts';

export interface BasicPeerInit {
  /** TLS server name; a non-empty SNI means TLS. */
  readonly sni?: string | undefined;
  readonly options?: PeerOptionsInit | undefined;
}

export class BasicPeer implements Peer {
  readonly address: SocketAddr;
  readonly sni: string;
  readonly options: PeerOptions;
  readonly proxy = undefined;
  readonly clientCert = undefined;
  #hash: string | undefined = undefined;

  /** `address` is `ip:port`, `[ipv6]:port`, `unix:/path` or a SocketAddr. */
  constructor(address: string | SocketAddr, init: BasicPeerInit = {}) {
    this.address = typeof address === 'string' ? parseSocketAddr(address) : address;
    this.sni = init.sni ?? '';
    this.options = resolvePeerOptions(init.options);
  }

  get tls(): boolean {
    return this.sni !== '';
  }

  /** Computed once: a BasicPeer's options are fixed at construction for pooling. */
  reuseHash(): string {
    if (this.#hash !== undefined) return this.#hash;
    const o = this.options;
    const tls =
      this.sni === ''
        ? null
        : [
            o.verifyCert,
            o.verifyHostname,
            o.alternativeCn ?? null,
            o.ca === undefined ? null : pemFingerprint(o.ca),
            o.curves ?? null,
          ];
    const l4 = o.customL4 === undefined ? null : o.customL4.name;
    this.#hash = JSON.stringify(['basic', formatSocketAddr(this.address), this.sni, tls, l4]);
    return this.#hash;
  }

  toString(): string {
    const addr = formatSocketAddr(this.address);
    return this.sni === '' ? `addr: ${addr}` : `addr: ${addr}, sni: ${this.sni}`;
  }
}
