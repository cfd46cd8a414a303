/**
 * @pingora-ts/core: the Server, its services, L4 listeners and connectors, the
 * HTTP/1 (and later HTTP/2) protocols, modules and peers (mirrors pingora-core).
 */

// --- Apps: what services run
export type { ServerApp } from './apps/server-app.ts';
// --- L4: streams, addresses, listeners
export {
  formatSocketAddr,
  parseSocketAddr,
  type SocketAddr,
  socketAddrOf,
} from './l4/socket-addr.ts';
export { Stream, type StreamDigest } from './l4/stream.ts';

// --- Server and services

// --- HTTP protocols (HTTP/1 codec, sessions)

// --- Peers and connectors

// --- Modules
