/**
 * @pingora-ts/core: the Server, its services, L4 listeners and connectors, the
 * HTTP/1 (and later HTTP/2) protocols, modules and peers (mirrors pingora-core).
 * This entry is what applications use; the internals other pingora-ts packages
 * build on are in the subpaths `@pingora-ts/core/h1` (codec and sessions),
 * `@pingora-ts/core/h2` (HTTP/2 sessions, pool, gRPC-web bridge),
 * `@pingora-ts/core/connectors` and `@pingora-ts/core/compression`.
 */

// --- Apps: what services run
export type { ServerApp } from './apps/server-app.ts';
export { HttpServer, type HttpServerApp, type HttpServerOptions } from './apps/http-app.ts';
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
export {
  type AddressFilterOptions,
  addressFilter,
  MAX_ADDRESS_RULES,
} from './listeners/address-filter.ts';
export { acceptAllFilter, type ConnectionFilter } from './listeners/connection-filter.ts';
export {
  type ConnectionClosedEvent,
  type ConnectionEvent,
  connectionAcceptedChannel,
  connectionClosedChannel,
  connectionDeniedChannel,
  type TlsHandshakeEvent,
  type TlsHandshakeFailedEvent,
  tlsHandshakeChannel,
  tlsHandshakeFailedChannel,
} from './listeners/diagnostics.ts';
export {
  DEFAULT_BACKLOG,
  type Endpoint,
  type TcpSocketOptions,
  tcpEndpoint,
  type UdsSocketOptions,
  udsEndpoint,
} from './listeners/endpoint.ts';
export {
  type TlsAcceptCallbacks,
  type TlsAcceptor,
  type TlsAcceptorEnv,
  type TlsBackend,
  TlsFailureReason,
} from './listeners/tls-acceptor.ts';
export {
  ClientCertMode,
  checkTlsSettings,
  DEFAULT_TLS_CIPHERS,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_MAX_HANDSHAKES,
  DEFAULT_TLS_SESSION_CACHE_SIZE,
  DEFAULT_TLS_SESSION_TIMEOUT_SECONDS,
  DEFAULT_TLS_WATCH_DEBOUNCE_MS,
  LISTENER_ALPN_PROTOCOLS,
  ListenerAlpn,
  type TlsCertSource,
  type TlsPemSource,
  type TlsSettings,
  type TlsVersion,
  tlsSettings,
} from './listeners/tls-settings.ts';
// --- TLS protocol types shared by every TLS backend
export type { TlsClientCert, TlsDigest } from './protocols/tls/digest.ts';
export { TICKET_KEY_BYTES, TicketKeys } from './protocols/tls/ticket-keys.ts';
export type {
  TlsAccept,
  TlsCertKey,
  TlsHelloInfo,
  TlsPem,
} from './protocols/tls/tls-accept.ts';

// --- Server and services
export { CLI_USAGE, parseServerArgs, type ServerOptions } from './server/cli-options.ts';
export {
  type ConfigField,
  ConfigSchema,
  type ConfigSchemaOptions,
  type ConfigValue,
  configField,
  defineConfigSchema,
  type FieldAt,
} from './server/config-schema.ts';
export { ConfigSource, MAX_CONFIG_BYTES } from './server/config-source.ts';
export { suggestKey, type UnclaimedKeys } from './server/config-keys.ts';
export {
  ExecutionPhase,
  type PhaseEvent,
  phaseChannel,
  type ServiceEvent,
  serviceChannel,
} from './server/execution-phase.ts';
export { createServerLogger, type Logger, type LoggerOptions } from './server/logger.ts';
export {
  EXIT_HOOKS_TIMEOUT_MS,
  type ExitHook,
  type ExitInfo,
} from './server/exit-hooks.ts';
export { type PhaseListener, Server, type ServerInit } from './server/server.ts';
export {
  DEFAULT_SERVER_CONF,
  loadServerConf,
  parseServerConf,
  readServerConf,
  type ServerConf,
  SUPPORTED_CONF_VERSIONS,
  serverConfSchema,
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
export type { HttpClientSession } from './protocols/http/client-session.ts';
export type { HttpServerSession } from './protocols/http/server-session.ts';
export type { H1ServerOptions } from './protocols/http/v1/server-options.ts';
export {
  type H2SessionErrorEvent,
  type H2StreamSkippedEvent,
  h2Channels,
} from './protocols/http/v2/h2-events.ts';
export type { H2ServerOptions } from './protocols/http/v2/server-options.ts';

// --- Peers and connectors
export {
  type ConnectorConnectEvent,
  type ConnectorDropEvent,
  type ConnectorStats,
  connectorChannels,
} from './connectors/connector-events.ts';
export {
  DEFAULT_UPSTREAM_IO_TIMEOUT_MS,
  HttpConnector,
  type HttpConnectorOptions,
  type HttpSessionLease,
} from './connectors/http-connector.ts';
export type { UpstreamTls, UpstreamTlsDigest } from './connectors/upstream-tls.ts';
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
