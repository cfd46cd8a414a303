/**
 * Opens the TCP (or TLS) connection a health check needs to a backend, through
 * core's connectPeer (Pingora's checks dial through a TransportConnector with
 * a peer template): the same verification rules as proxied traffic (CA, SNI,
 * hostname with alternative CN, client certificate) and the same cached TLS
 * contexts. The connect timeout covers the TLS handshake too.
 */
import type { Socket } from 'node:net';
import {
  ALPN,
  type ClientCertKeyInit,
  HttpPeer,
  type PemInput,
  type SocketAddr,
} from '@pingora-ts/core';
import { connectPeer, type UpstreamTls } from '@pingora-ts/core/connectors';
import { ErrorSource, toPingoraError } from '@pingora-ts/error';
import { upstreamTls } from '@pingora-ts/tls-openssl';
import type { Backend } from '../backend.ts';

export interface TlsCheckOptions {
  /** SNI and the name the certificate must match; '' sends none and checks the IP address. */
  servername: string;
  /** Trusted CA certificates (PEM); default the system store (tls-openssl's default). */
  ca?: PemInput;
  /** Default true. False accepts any certificate (Pingora's verify_cert off). */
  rejectUnauthorized?: boolean;
  /** Default true: the certificate must name `servername` (or `alternativeCn`). */
  verifyHostname?: boolean;
  /** Also accept a certificate for this name (Pingora's alternative_cn). */
  alternativeCn?: string;
  /** Certificate and key to present to a backend that requires mutual TLS. */
  clientCert?: ClientCertKeyInit;
  /** The TLS backend; default tls-openssl's shared one, so contexts are built once. */
  backend?: UpstreamTls;
}

export interface ConnectOptions {
  timeoutMs: number;
  tls?: TlsCheckOptions | undefined;
  /** Connect to this port instead of the backend's (Pingora's port_override). */
  port?: number | undefined;
}

/** Resolves with a connected (and, with `tls`, handshaken and verified) socket. */
export async function connectBackend(backend: Backend, options: ConnectOptions): Promise<Socket> {
  const tls = options.tls;
  const addr: SocketAddr =
    backend.socketAddr.kind === 'inet' && options.port !== undefined
      ? { ...backend.socketAddr, port: options.port }
      : backend.socketAddr;
  try {
    const peer = new HttpPeer(addr, {
      tls: tls !== undefined,
      sni: tls?.servername ?? '',
      clientCert: tls?.clientCert,
      options: {
        connectionTimeout: options.timeoutMs,
        totalConnectionTimeout: options.timeoutMs,
        verifyCert: tls?.rejectUnauthorized,
        verifyHostname: tls?.verifyHostname,
        alternativeCn: tls?.alternativeCn,
        ca: tls?.ca,
      },
    });
    const backendTls = tls === undefined ? undefined : (tls.backend ?? upstreamTls());
    const stream = await connectPeer(peer, undefined, backendTls, ALPN.H1);
    // Until the caller listens, a late error must not crash the process.
    stream.socket.on('error', ignore);
    return stream.socket;
  } catch (err) {
    throw toPingoraError(err, {
      phase: tls === undefined ? 'connect' : 'tls',
      source: ErrorSource.Upstream,
    }).moreContext(`health check connect to ${backend.addr}`);
  }
}

function ignore(): void {}
