/**
 * Stream: one established connection (TCP or Unix, possibly TLS over it)
 * with its digest: who is on each end, since when, and what the TLS
 * handshake settled. Listeners hand Streams to a ServerApp; connectors hand
 * them to client sessions.
 */
import type { Socket } from 'node:net';
import type { UpstreamTlsDigest } from '../connectors/upstream-tls.ts';
import type { TlsDigest } from '../protocols/tls/digest.ts';
import { type SocketAddr, socketAddrOf } from './socket-addr.ts';

/** What is known about a connection, kept for logging and filters. */
export interface StreamDigest {
  /** The remote end; undefined for a Unix socket peer. */
  readonly peerAddr: SocketAddr | undefined;
  /** Our end: the listening or bound address. */
  readonly localAddr: SocketAddr | undefined;
  /** When the connection was established (ms since the epoch). */
  readonly establishedAt: number;
  /**
   * The TLS handshake's outcome (version, cipher, ALPN, SNI, resumption,
   * client certificate); undefined on a plaintext connection.
   */
  readonly tls: TlsDigest | undefined;
}

export class Stream {
  readonly socket: Socket;
  readonly digest: StreamDigest;
  /** For a TLS connection to an upstream: what its handshake negotiated (set by the connector). */
  upstreamTls: UpstreamTlsDigest | undefined = undefined;

  /** `tls` is the handshake's digest when `socket` is the TLS socket of a TLS listener. */
  constructor(socket: Socket, localUnixPath?: string, tls?: TlsDigest) {
    this.socket = socket;
    const local =
      localUnixPath !== undefined
        ? ({ kind: 'unix', path: localUnixPath } as const)
        : socketAddrOf(socket.localAddress, socket.localPort, socket.localFamily);
    this.digest = {
      peerAddr: socketAddrOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily),
      localAddr: local,
      establishedAt: Date.now(),
      tls,
    };
  }

  /** Closes the connection at once, discarding anything unsent. */
  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}
