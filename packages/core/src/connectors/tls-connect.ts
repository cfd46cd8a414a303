/**
 * The TLS step of connecting to a peer (Pingora's connectors/tls), on Node's
 * node:tls: SNI, ALPN, the peer's CA or the default roots, an optional client
 * certificate, certificate and hostname verification (with the peer's
 * alternative CN accepted too), all within the connect deadline. Failures
 * become Upstream TLSHandshakeFailure, InvalidCert or TLSHandshakeTimedout.
 */
import { isIP, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { formatSocketAddr } from '../l4/socket-addr.ts';
import type { Peer } from '../upstreams/peer.ts';
import { ALPN } from '../upstreams/peer-options.ts';

const ALPN_LISTS: Record<ALPN, string[]> = {
  [ALPN.H1]: ['http/1.1'],
  [ALPN.H2]: ['h2'],
  [ALPN.H2H1]: ['h2', 'http/1.1'],
};

/** The host name a certificate must match: the SNI, else the address. */
function expectedName(peer: Peer): string {
  if (peer.sni !== '') return peer.sni;
  return peer.address.kind === 'inet' ? peer.address.address : '';
}

/** Node's tls.connect options for `peer` over the connected `socket`. */
export function tlsOptions(peer: Peer, socket: Socket, alpn: ALPN): ConnectionOptions {
  const o = peer.options;
  const name = expectedName(peer);
  const options: ConnectionOptions = {
    socket,
    ALPNProtocols: ALPN_LISTS[alpn],
    rejectUnauthorized: o.verifyCert,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      if (!o.verifyHostname) return undefined;
      const mismatch = checkServerIdentity(name, cert);
      if (mismatch === undefined) return undefined;
      // Pingora accepts the certificate if it names the alternative CN instead.
      if (o.alternativeCn !== undefined && checkServerIdentity(o.alternativeCn, cert) === undefined)
        return undefined;
      return mismatch;
    },
  };
  // Node rejects IP literals as SNI (RFC 6066 forbids them): send none then.
  if (peer.sni !== '' && isIP(peer.sni) === 0) options.servername = peer.sni;
  if (o.ca !== undefined) options.ca = o.ca as string | Buffer | (string | Buffer)[];
  if (peer.clientCert !== undefined) {
    options.cert = peer.clientCert.cert;
    options.key = peer.clientCert.key;
  }
  return options;
}

/**
 * Runs the TLS handshake over `socket`. Resolves with the TLS socket once
 * it is secure; on failure the socket is destroyed and the promise rejects.
 */
export function tlsHandshake(
  socket: Socket,
  peer: Peer,
  alpn: ALPN,
  timeoutMs: number | undefined,
  context: string,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let tlsSocket: TLSSocket;
    try {
      tlsSocket = tlsConnect(tlsOptions(peer, socket, alpn));
    } catch (err) {
      // Bad key or certificate material is a configuration error, found before any I/O.
      reject(
        PingoraError.because(ErrorType.TLSHandshakeFailure, 'invalid TLS settings', err)
          .withSource(ErrorSource.Internal)
          .moreContext(context),
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      tlsSocket.removeListener('secureConnect', onSecure);
      tlsSocket.removeListener('error', onError);
      tlsSocket.removeListener('close', onClose);
    };
    const fail = (err: PingoraError): void => {
      cleanup();
      tlsSocket.destroy();
      socket.destroy();
      reject(err.moreContext(context));
    };
    const onSecure = (): void => {
      cleanup();
      resolve(tlsSocket);
    };
    const onError = (err: Error): void => {
      fail(toPingoraError(err, { phase: 'tls', source: ErrorSource.Upstream }));
    };
    const onClose = (): void => {
      fail(
        PingoraError.create(
          ErrorType.TLSHandshakeFailure,
          ErrorSource.Upstream,
          'connection closed during the TLS handshake',
        ),
      );
    };
    tlsSocket.once('secureConnect', onSecure);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        fail(
          PingoraError.create(
            ErrorType.TLSHandshakeTimedout,
            ErrorSource.Upstream,
            `timeout ${timeoutMs}ms in the TLS handshake with ${formatSocketAddr(peer.address)}`,
          ),
        );
      }, timeoutMs);
    }
  });
}
