/**
 * Opens the L4 connection to a peer (Pingora's l4::connect): TCP or Unix,
 * through a CONNECT proxy when the peer has one, bound to the chosen local
 * address, within connectionTimeout (TCP connect and proxy handshake) and
 * totalConnectionTimeout (everything), with TCP keepalive and no Nagle.
 * Failures become Upstream PingoraErrors naming the peer.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { formatSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';
import { Stream } from '../l4/stream.ts';
import type { L4Connect } from '../l4/virtual-socket.ts';
import type { Peer } from '../upstreams/peer.ts';
import { type BindToLists, pickBindTo } from './bind-to.ts';
import { proxyHandshake } from './proxy-connect.ts';

const NO_BIND: BindToLists = { v4: [], v6: [] };

/**
 * Limit on a CONNECT-proxy (or TLS) handshake when the peer sets neither
 * connectionTimeout nor totalConnectionTimeout: a silent proxy must not hold
 * a request forever. The TCP connect itself is bounded by the OS.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

/**
 * A new connection to `peer` (never a pooled one). `bindTo` holds the
 * server's client_bind_to_ipv4/ipv6 lists, used when the peer sets no bindTo.
 */
export async function connectL4(
  peer: Peer,
  bindTo: BindToLists = NO_BIND,
  defaultConnectTimeoutMs?: number,
): Promise<Stream> {
  if (peer.options.customL4 !== undefined) return connectCustom(peer, peer.options.customL4);
  const started = performance.now();
  const total = peer.options.totalConnectionTimeout;
  // The peer's own limit wins over the connector's (the server's upstream_connect_timeout_seconds).
  const connectionTimeout = peer.options.connectionTimeout ?? defaultConnectTimeoutMs;
  const proxy = peer.proxy;
  const target = proxy === undefined ? peer.address : proxy.nextHop;
  const context = `connecting to ${peer.toString()}`;

  const connectLimit = minTimeout(connectionTimeout, total);
  const socket = await openSocket(
    target,
    pickBindTo(target, peer.options.bindTo, bindTo),
    connectLimit,
    connectLimit === total && total !== undefined
      ? `total-connection timeout ${total}ms`
      : `timeout ${String(connectionTimeout)}ms`,
    context,
  );
  try {
    if (proxy !== undefined) {
      const remaining =
        total === undefined ? undefined : Math.max(0, total - (performance.now() - started));
      const limit = minTimeout(connectionTimeout, remaining) ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
      await proxyHandshake(socket, proxy, limit, context);
    }
    const ka = peer.options.tcpKeepalive;
    if (ka !== undefined && target.kind === 'inet') socket.setKeepAlive(true, ka.idleMs);
    return new Stream(socket);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

function minTimeout(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Connects a socket, rejecting with a PingoraError and leaking nothing on failure. */
function openSocket(
  target: SocketAddr,
  localAddress: string | undefined,
  timeoutMs: number | undefined,
  timeoutText: string,
  context: string,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      target.kind === 'unix'
        ? netConnect({ path: target.path })
        : netConnect({
            host: target.address,
            port: target.port,
            family: target.family,
            noDelay: true,
            ...(localAddress === undefined ? {} : { localAddress }),
          });
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      const syscall = (err as { syscall?: unknown }).syscall;
      // A failed bind is our configuration's fault, not the upstream's.
      const error =
        syscall === 'bind'
          ? PingoraError.create(
              ErrorType.BindError,
              ErrorSource.Internal,
              `binding to ${String(localAddress)}`,
              err,
            )
          : toPingoraError(err, { phase: 'connect', source: ErrorSource.Upstream });
      reject(error.moreContext(context));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(
          PingoraError.create(
            ErrorType.ConnectTimedout,
            ErrorSource.Upstream,
            `${timeoutText} connecting to ${formatSocketAddr(target)}`,
          ).moreContext(context),
        );
      }, timeoutMs);
    }
  });
}

/** A connection through the peer's custom L4 transport; its failure is an Upstream ConnectError. */
async function connectCustom(peer: Peer, custom: L4Connect): Promise<Stream> {
  try {
    return new Stream(await custom.connect(peer));
  } catch (err) {
    throw toPingoraError(err, { source: ErrorSource.Upstream, phase: 'connect' }).moreContext(
      `connecting to ${peer.toString()} through ${custom.name}`,
    );
  }
}
