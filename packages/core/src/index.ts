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
export {
  chooseEncoding,
  parseAcceptEncoding,
} from './modules/http/compression/accept-encoding.ts';
export { Algorithm as CompressionAlgorithm } from './modules/http/compression/algorithm.ts';
export { isCompressibleType } from './modules/http/compression/compressible.ts';
export {
  ResponseCompression,
  ResponseCompressionBuilder,
  type ResponseCompressionOptions,
} from './modules/http/compression/response-compression.ts';
export { StreamCodec, type StreamCodecStats } from './modules/http/compression/stream-codec.ts';
export {
  type BodyFilterResult,
  type HttpModule,
  type HttpModuleBuilder,
  HttpModuleCtx,
  HttpModules,
} from './modules/http/http-module.ts';
