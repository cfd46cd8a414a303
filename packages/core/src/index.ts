/**
 * @pingora-ts/core: the Server, its services, L4 listeners and connectors, the
 * HTTP/1 (and later HTTP/2) protocols, modules and peers (mirrors pingora-core).
 */

// --- Apps: what services run
export type { ServerApp } from './apps/server-app.ts';
export {
  HttpServer,
  type HttpServerApp,
  type HttpServerOptions,
  statusForError,
} from './apps/http-app.ts';
export {
  type HttpResponse,
  responseHead,
  type ServeHttp,
  ServeHttpApp,
  serveHttp,
  writeWholeResponse,
} from './apps/serve-http.ts';
// --- L4: streams, addresses, listeners
export {
  formatSocketAddr,
  parseSocketAddr,
  type SocketAddr,
  socketAddrOf,
} from './l4/socket-addr.ts';
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
  endpointName,
  type TcpSocketOptions,
  tcpEndpoint,
  type UdsSocketOptions,
  udsEndpoint,
} from './listeners/endpoint.ts';
export {
  defaultTlsBackend,
  registerTlsBackend,
  type TlsAcceptCallbacks,
  type TlsAcceptor,
  type TlsAcceptorEnv,
  type TlsBackend,
  TlsFailureReason,
} from './listeners/tls-acceptor.ts';
export {
  ClientCertMode,
  checkTlsSettings,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
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
export { type StreamHandler, TransportStack } from './listeners/transport-stack.ts';
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
export { describeFatal } from './server/run-forever.ts';
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
export {
  armDeadline,
  type DeadlineOwner,
  disarmDeadline,
  TICK_MS,
  useDeadlineWheel,
} from './protocols/http/deadline-ticker.ts';
export type { RunningServer, ShutdownOptions } from './server/server-run.ts';
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
export type { BodySink, TunnelHandoff } from './protocols/http/body-sink.ts';
export type { HttpClientSession } from './protocols/http/client-session.ts';
export { httpDate } from './protocols/http/date-cache.ts';
export type { HttpServerSession } from './protocols/http/server-session.ts';
export { type H1ClientOptions, H1ClientSession } from './protocols/http/v1/client-session.ts';
export {
  DEFAULT_HEAD_LIMITS,
  type HeadLimits,
  HeadMode,
  HeadParser,
  NEED_MORE,
  PARSE_ERROR,
} from './protocols/http/v1/head-parser.ts';
export {
  type H1ServerOptions,
  type ResolvedH1ServerOptions,
  resolveH1ServerOptions,
} from './protocols/http/v1/server-options.ts';
export { errorResponse, H1ServerSession } from './protocols/http/v1/server-session.ts';

// --- Peers and connectors
export { type BindToLists, pickBindTo, resolveBindToLists } from './connectors/bind-to.ts';
export {
  type ConnectResponse,
  MAX_CONNECT_RESPONSE_HEAD,
  parseConnectResponse,
} from './connectors/connect-response.ts';
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
export { H1SessionIdleWatch, PooledH1Session } from './connectors/idle-session.ts';
export { IdleStream, StreamIdleWatch } from './connectors/idle-stream.ts';
export { connectL4, DEFAULT_HANDSHAKE_TIMEOUT_MS } from './connectors/l4-connect.ts';
export { connectPeer } from './connectors/peer-connect.ts';
export { connectRequestHead, proxyHandshake } from './connectors/proxy-connect.ts';
export {
  decideRetryByReuse,
  markRetryByReuse,
  type ReuseFacts,
} from './connectors/reuse-retry.ts';
export {
  ALPN_PROTOCOLS,
  acceptedNames,
  noUpstreamTlsError,
  replaceLeftmostUnderscore,
  sniFor,
  tlsContextKey,
  type UpstreamTls,
  type UpstreamTlsDigest,
  type UpstreamTlsRequest,
  type UpstreamTlsStream,
} from './connectors/upstream-tls.ts';
export {
  type ConnectorOptions,
  type ConnectorServerConf,
  connectorOptionsFromServerConf,
  DEFAULT_KEEPALIVE_POOL_SIZE,
  TransportConnector,
} from './connectors/transport-connector.ts';
export { BasicPeer, type BasicPeerInit } from './upstreams/basic-peer.ts';
export { ClientCertKey, type ClientCertKeyInit } from './upstreams/client-cert.ts';
export {
  type ConnectProxy,
  type ConnectProxyInit,
  connectAuthority,
  resolveConnectProxy,
} from './upstreams/connect-proxy.ts';
export { HttpPeer, type HttpPeerInit, Scheme } from './upstreams/http-peer.ts';
export { pemFingerprint } from './upstreams/pem-fingerprint.ts';
export type { Peer } from './upstreams/peer.ts';
export {
  ALPN,
  type PeerOptions,
  type PeerOptionsInit,
  type PemInput,
  resolvePeerOptions,
  type TcpKeepalive,
} from './upstreams/peer-options.ts';
// (end of peers and connectors)

// --- Modules
export {
  chooseEncoding,
  parseAcceptEncoding,
} from './modules/http/compression/accept-encoding.ts';
export { Algorithm as CompressionAlgorithm } from './modules/http/compression/algorithm.ts';
export { isCompressibleType } from './modules/http/compression/compressible.ts';
export {
  type ResolvedCompressionOptions,
  ResponseCompression,
  ResponseCompressionBuilder,
  type ResponseCompressionOptions,
  resolveCompressionOptions,
} from './modules/http/compression/response-compression.ts';
export { StreamCodec, type StreamCodecStats } from './modules/http/compression/stream-codec.ts';
export {
  type BodyFilterResult,
  type HttpModule,
  type HttpModuleBuilder,
  HttpModuleCtx,
  HttpModules,
} from './modules/http/http-module.ts';
