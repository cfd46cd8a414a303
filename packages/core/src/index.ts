/**
 * @pingora-ts/core: the Server, its services, L4 listeners and connectors, the
 * HTTP/1 (and later HTTP/2) protocols, modules and peers (mirrors pingora-core).
 * This entry is what applications use. Observability has its own subpath,
 * `@pingora-ts/core/diagnostics` (diagnostics_channel channels and events);
 * the internals other pingora-ts packages build on are in `@pingora-ts/core/h1`
 * (codec and sessions), `/h2` (HTTP/2 sessions, pool, gRPC-web bridge),
 * `/connectors` (transport, pool, upstream TLS backend interface), `/tls`
 * (listener TLS backend interface) and `/compression`.
 */

// --- Apps: what services run
export type { ConnectionDone, ServerApp } from './apps/server-app.ts';
export {
  type HttpAppDone,
  HttpServer,
  type HttpServerApp,
  type HttpServerOptions,
} from './apps/http-app.ts';
export {
  type HttpResponse,
  responseHead,
  type ServeHttp,
  ServeHttpApp,
  serveHttp,
} from './apps/serve-http.ts';
// --- L4: streams, addresses, listeners
export { formatSocketAddr, parseSocketAddr, type SocketAddr } from './l4/socket-addr.ts';
export { Stream, type StreamDigest } from './l4/stream.ts';
export { type L4Connect, VirtualSocket, type VirtualSocketSink } from './l4/virtual-socket.ts';
export { type AddressFilterOptions, addressFilter } from './listeners/address-filter.ts';
export { acceptAllFilter, type ConnectionFilter } from './listeners/connection-filter.ts';
export {
  type Endpoint,
  type TcpSocketOptions,
  tcpEndpoint,
  type UdsSocketOptions,
  udsEndpoint,
} from './listeners/endpoint.ts';
export {
  ClientCertMode,
  ListenerAlpn,
  type TlsCertSource,
  type TlsPemSource,
  type TlsSettings,
  type TlsVersion,
  tlsSettings,
} from './listeners/tls-settings.ts';
// --- TLS protocol types shared by every TLS backend
export type { TlsClientCert, TlsDigest } from './protocols/tls/digest.ts';
export {
  TICKET_KEY_BYTES,
  TicketKeys,
  type TicketKeysOptions,
} from './protocols/tls/ticket-keys.ts';
export type {
  TlsAccept,
  TlsCertKey,
  TlsHelloInfo,
  TlsPem,
} from './protocols/tls/tls-accept.ts';

// --- Server and services
export { parseServerArgs, type ServerOptions } from './server/cli-options.ts';
export {
  type ConfigField,
  ConfigSchema,
  type ConfigSchemaOptions,
  type ConfigValue,
  configField,
  defineConfigSchema,
  type FieldAt,
} from './server/config-schema.ts';
export { ConfigSource } from './server/config-source.ts';
export { suggestKey } from './server/config-keys.ts';
export { ExecutionPhase } from './server/execution-phase.ts';
export { PROXY_SEMI_SPACE_MIB, useProxyYoungGeneration } from './server/young-generation.ts';
export { createServerLogger, type Logger, type LoggerOptions } from './server/logger.ts';
export type { ExitHook, ExitInfo } from './server/exit-hooks.ts';
export { type PhaseListener, Server, type ServerInit } from './server/server.ts';
export {
  DEFAULT_SERVER_CONF,
  loadServerConf,
  parseServerConf,
  readServerConf,
  type ServerConf,
  serverConfWith,
} from './server/server-conf.ts';
export type { RunningServer, ShutdownOptions } from './server/server-run.ts';
export { sharedInt32 } from './server/threads.ts';
export {
  DEFAULT_TIMEOUT_CONF,
  h1TimeoutsFromServerConf,
  proxyTimeoutsFromServerConf,
  type TimeoutConf,
  type UpstreamTimeouts,
  upstreamTimeoutsFromServerConf,
} from './server/timeout-conf.ts';
export { type BackgroundService, backgroundService } from './services/background-service.ts';
export {
  ListeningService,
  type ListeningServiceOptions,
} from './services/listening-service.ts';
export type {
  AddServiceOptions,
  Service,
  ServiceContext,
  ServiceHandle,
} from './services/service.ts';

// --- HTTP protocols (HTTP/1 codec, sessions)
export type { HttpClientSession, ResponseHeadSink } from './protocols/http/client-session.ts';
export type { HttpServerSession } from './protocols/http/server-session.ts';
export type { H1ServerOptions } from './protocols/http/v1/server-options.ts';
export type { H2ServerOptions } from './protocols/http/v2/server-options.ts';

// --- Peers and connectors
export {
  HttpConnector,
  type HttpConnectorOptions,
  type HttpSessionLease,
} from './connectors/http-connector.ts';
export type { UpstreamTlsDigest } from './connectors/upstream-tls.ts';
export { BasicPeer, type BasicPeerInit } from './upstreams/basic-peer.ts';
export { ClientCertKey, type ClientCertKeyInit } from './upstreams/client-cert.ts';
export type { ConnectProxy, ConnectProxyInit } from './upstreams/connect-proxy.ts';
export { HttpPeer, type HttpPeerInit, Scheme } from './upstreams/http-peer.ts';
export type { Peer } from './upstreams/peer.ts';
export {
  ALPN,
  type PeerOptions,
  type PeerOptionsInit,
  type PemInput,
  type TcpKeepalive,
} from './upstreams/peer-options.ts';
// (end of peers and connectors)

// --- Modules
export { GrpcWebMode } from './modules/http/grpc-web/bridge.ts';
export { GrpcWeb, GrpcWebBuilder } from './modules/http/grpc-web/grpc-web-module.ts';
export { Algorithm as CompressionAlgorithm } from './modules/http/compression/algorithm.ts';
export {
  ResponseCompression,
  ResponseCompressionBuilder,
  type ResponseCompressionOptions,
} from './modules/http/compression/response-compression.ts';
export {
  type BodyFilterResult,
  type HttpModule,
  type HttpModuleBuilder,
  HttpModuleCtx,
  HttpModules,
} from './modules/http/http-module.ts';
