/**
 * @pingora-ts/core/diagnostics: core's diagnostics_channel channels and the
 * shapes of their events (connections, TLS handshakes, server phases and
 * services, connectors, HTTP/2 sessions). `@pingora-ts/prometheus` turns
 * them into metrics; subscribe here for your own tracing or logs.
 */
export {
  type ConnectorConnectEvent,
  type ConnectorDropEvent,
  type ConnectorStats,
  connectorChannels,
} from './connectors/connector-events.ts';
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
export { TlsFailureReason } from './listeners/tls-acceptor.ts';
export {
  type H2SessionErrorEvent,
  type H2StreamSkippedEvent,
  h2Channels,
} from './protocols/http/v2/h2-events.ts';
export {
  type PhaseEvent,
  phaseChannel,
  type ServiceEvent,
  serviceChannel,
} from './server/execution-phase.ts';
