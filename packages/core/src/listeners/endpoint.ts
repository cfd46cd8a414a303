/**
 * Endpoint: one address a listening service binds, TCP (IPv4 or IPv6) or a
 * Unix socket path, with its socket options (Pingora's ServerAddress and
 * TcpSocketOptions). Options are checked when the endpoint is added.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { parseSocketAddr } from '../l4/socket-addr.ts';
import type { TlsSettings } from './tls-settings.ts';

/** Pingora listens with a backlog of 65535; the kernel caps it at somaxconn. */
export const DEFAULT_BACKLOG = 65_535;

export interface TcpSocketOptions {
  /** Pending-connection queue length (default 65535, capped by the kernel). */
  backlog?: number;
  /** TCP_NODELAY on accepted sockets (default true: proxies write whole messages). */
  noDelay?: boolean;
  /** SO_KEEPALIVE on accepted sockets; a number is the idle delay in ms before probes. */
  keepAlive?: boolean | { initialDelayMs: number };
  /** IPV6_V6ONLY for `[::]` endpoints. */
  ipv6Only?: boolean;
  /** SO_REUSEPORT, so several processes can share the port. */
  reusePort?: boolean;
}

export interface UdsSocketOptions {
  /** File mode of the socket (default 0o666, as Pingora). */
  mode?: number;
  backlog?: number;
}

export type Endpoint =
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      readonly options: Readonly<TcpSocketOptions>;
      /** Set on a TLS endpoint (addTls): the handshake runs before the app gets the connection. */
      readonly tls?: TlsSettings;
    }
  | { readonly kind: 'uds'; readonly path: string; readonly options: Readonly<UdsSocketOptions> };

/** `127.0.0.1:80` / `[::1]:0` plus options (and TLS settings for a TLS endpoint), validated. */
export function tcpEndpoint(
  addr: string,
  options: TcpSocketOptions = {},
  tls?: TlsSettings,
): Endpoint {
  const parsed = parseSocketAddr(addr);
  if (parsed.kind !== 'inet') {
    throw PingoraError.explain(ErrorType.BindError, `"${addr}" is not a TCP address (use addUds)`);
  }
  checkBacklog(options.backlog, addr);
  const ka = options.keepAlive;
  if (
    typeof ka === 'object' &&
    !(Number.isSafeInteger(ka.initialDelayMs) && ka.initialDelayMs >= 0)
  ) {
    throw PingoraError.explain(
      ErrorType.BindError,
      `${addr}: keepAlive.initialDelayMs must be a non-negative integer`,
    );
  }
  const endpoint = {
    kind: 'tcp',
    host: parsed.address,
    port: parsed.port,
    options: { ...options },
  } as const;
  return tls === undefined ? endpoint : { ...endpoint, tls };
}

/** A Unix socket path plus options, validated. */
export function udsEndpoint(path: string, options: UdsSocketOptions = {}): Endpoint {
  if (path === '' || path.includes('\0')) {
    throw PingoraError.explain(ErrorType.BindError, `invalid unix socket path "${path}"`);
  }
  // sockaddr_un.sun_path is 108 bytes on Linux (104 on BSDs), NUL included.
  if (Buffer.byteLength(path) > 103) {
    throw PingoraError.explain(
      ErrorType.BindError,
      `unix socket path too long (max 103 bytes): ${path}`,
    );
  }
  const mode = options.mode;
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
    throw PingoraError.explain(
      ErrorType.BindError,
      `${path}: mode must be an integer from 0 to 0o777`,
    );
  }
  checkBacklog(options.backlog, path);
  return { kind: 'uds', path, options: { ...options } };
}

/** How the endpoint is named in logs: `127.0.0.1:80` or `unix:/path`. */
export function endpointName(endpoint: Endpoint): string {
  if (endpoint.kind === 'uds') return `unix:${endpoint.path}`;
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

function checkBacklog(backlog: number | undefined, where: string): void {
  if (
    backlog !== undefined &&
    !(Number.isSafeInteger(backlog) && backlog >= 1 && backlog <= 65_535)
  ) {
    throw PingoraError.explain(
      ErrorType.BindError,
      `${where}: backlog must be an integer from 1 to 65535`,
    );
  }
}
