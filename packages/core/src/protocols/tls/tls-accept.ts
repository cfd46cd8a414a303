/**
 * TlsAccept: the user's hooks into a listener's TLS handshake (Pingora's
 * TlsAccept trait): an asynchronous certificate callback that may choose the
 * certificate of one handshake, and a handshake-complete callback whose
 * result lands in the digest's `extension`.
 */
import type { Socket } from 'node:net';
import type { SocketAddr } from '../../l4/socket-addr.ts';
import type { TlsDigest } from './digest.ts';

/** PEM text or bytes, or several PEM blocks. */
export type TlsPem = string | Buffer | readonly (string | Buffer)[];

/**
 * A certificate chain and its private key in memory. A backend caches its
 * compiled form per object, so return the same object for the same
 * certificate: a new object on every handshake costs a context build each.
 */
export interface TlsCertKey {
  readonly cert: TlsPem;
  readonly key: TlsPem;
}

/** What the certificate callback knows about the handshake. */
export interface TlsHelloInfo {
  /** The server name the client asked for (SNI), undefined when it sent none. */
  readonly servername: string | undefined;
  /** The client address; undefined for a Unix socket. */
  readonly peer: SocketAddr | undefined;
  /** The certificate the listener's own rules picked (SNI entry or default), if any. */
  readonly configured: TlsCertKey | undefined;
}

export interface TlsAccept {
  /**
   * Called in the middle of every handshake (Pingora's certificate_callback).
   * Return the certificate to serve, or undefined to keep the configured
   * choice (per-SNI entry, else the default). A rejection or a throw fails
   * the handshake. It runs inside the handshake timeout.
   */
  certificateCallback?(
    hello: TlsHelloInfo,
  ): TlsCertKey | undefined | Promise<TlsCertKey | undefined>;
  /**
   * Called once the handshake is complete (and the client certificate, if
   * any, verified). Whatever it returns is stored as `digest.extension`
   * (Pingora's handshake_complete_callback). A throw closes the connection.
   */
  handshakeCompleteCallback?(digest: TlsDigest, socket: Socket): unknown;
}
