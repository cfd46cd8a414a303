/**
 * Peer: what connectors need to know about an upstream (Pingora's Peer
 * trait): where it is, whether to speak TLS and with which SNI, an optional
 * CONNECT proxy, the connect options, and a reuse hash that decides which
 * pooled connections it may share.
 */
import type { SocketAddr } from '../l4/socket-addr.ts';
import type { ClientCertKey } from './client-cert.ts';
import type { ConnectProxy } from './connect-proxy.ts';
import type { PeerOptions } from './peer-options.ts';

export interface Peer {
  /** The upstream's address (the target behind the proxy when there is one). */
  readonly address: SocketAddr;
  /** Whether the connection speaks TLS. */
  readonly tls: boolean;
  /** The TLS server name; empty for none. */
  readonly sni: string;
  readonly proxy: ConnectProxy | undefined;
  readonly clientCert: ClientCertKey | undefined;
  readonly options: PeerOptions;
  /**
   * Connections may be shared between two peers only when their reuse hashes
   * are equal. Computed once and cached.
   */
  reuseHash(): string;
  /** One line for logs and error context. */
  toString(): string;
}
