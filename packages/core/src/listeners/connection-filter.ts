/**
 * ConnectionFilter (Pingora's connection_filter): consulted for each accepted
 * connection before a single byte is read from it; a denied connection is
 * destroyed at once. Use it for allow/deny lists by peer address.
 */
import type { SocketAddr } from '../l4/socket-addr.ts';

export interface ConnectionFilter {
  /** True to serve the connection; `peer` is undefined for Unix socket clients. */
  shouldAccept(peer: SocketAddr | undefined): boolean | Promise<boolean>;
}

/** The filter used when none is set. */
export const acceptAllFilter: ConnectionFilter = { shouldAccept: () => true };
