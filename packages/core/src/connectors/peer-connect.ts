/**
 * Connects to a peer end to end (Pingora's do_connect): the L4 connection
 * (TCP or Unix, through a CONNECT proxy if set) and then, for TLS peers, the
 * handshake by the connector's TLS backend, all within the peer's
 * totalConnectionTimeout.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { Stream } from '../l4/stream.ts';
import type { Peer } from '../upstreams/peer.ts';
import type { ALPN } from '../upstreams/peer-options.ts';
import type { BindToLists } from './bind-to.ts';
import { connectL4, DEFAULT_HANDSHAKE_TIMEOUT_MS } from './l4-connect.ts';
import { noUpstreamTlsError, type UpstreamTls } from './upstream-tls.ts';

/**
 * A new connection to `peer`, secured by `tls` when the peer wants TLS (its
 * digest on `stream.upstreamTls`). `alpn` overrides the peer's ALPN (an
 * HTTP/1 connector offers only http/1.1); `connectTimeoutMs` is the connect
 * limit when the peer sets none (the server's upstream_connect_timeout_seconds).
 */
export async function connectPeer(
  peer: Peer,
  bindTo: BindToLists | undefined,
  tls: UpstreamTls | undefined,
  alpn: ALPN = peer.options.alpn,
  connectTimeoutMs?: number,
): Promise<Stream> {
  // Refused before dialling: a missing backend is our configuration, not the upstream.
  if (peer.tls && tls === undefined) throw noUpstreamTlsError(peer);
  const started = performance.now();
  const stream = await connectL4(peer, bindTo, connectTimeoutMs);
  if (!peer.tls || tls === undefined) return stream;
  const context = `connecting to ${peer.toString()}`;
  const socket = stream.socket;
  if (socket.readableLength > 0) {
    // A server speaks only after our ClientHello: bytes before it are not TLS we can trust.
    socket.destroy();
    throw PingoraError.create(
      ErrorType.TLSHandshakeFailure,
      ErrorSource.Upstream,
      'bytes arrived before the TLS handshake began',
    ).moreContext(context);
  }
  const total = peer.options.totalConnectionTimeout;
  const timeoutMs =
    total === undefined
      ? DEFAULT_HANDSHAKE_TIMEOUT_MS
      : Math.max(1, total - (performance.now() - started));
  const secured = await tls.handshake({ socket, peer, alpn, timeoutMs, context });
  const out = new Stream(secured.socket);
  out.upstreamTls = secured.digest;
  return out;
}
