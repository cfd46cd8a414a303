/**
 * BasicPeer: the simplest Peer (Pingora's BasicPeer): an address, an
 * optional SNI (TLS when set) and options. Its connections are shared only
 * with BasicPeers to the same address and SNI.
 */
import { formatSocketAddr, parseSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';
import type { Peer } from './peer.ts';
import { type PeerOptions, type PeerOptionsInit, resolvePeerOptions } from './peer-options.ts';

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
  private hash: string | undefined = undefined;

  /** `address` is `ip:port`, `[ipv6]:port`, `unix:/path` or a SocketAddr. */
  constructor(address: string | SocketAddr, init: BasicPeerInit = {}) {
    this.address = typeof address === 'string' ? parseSocketAddr(address) : address;
    this.sni = init.sni ?? '';
    this.options = resolvePeerOptions(init.options);
  }

  get tls(): boolean {
    return this.sni !== '';
  }

  reuseHash(): string {
    this.hash ??= JSON.stringify(['basic', formatSocketAddr(this.address), this.sni]);
    return this.hash;
  }

  toString(): string {
    const addr = formatSocketAddr(this.address);
    return this.sni === '' ? `addr: ${addr}` : `addr: ${addr}, sni: ${this.sni}`;
  }
}
