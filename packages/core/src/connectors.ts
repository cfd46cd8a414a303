/**
 * @pingora-ts/core/connectors: the connector internals other pingora-ts
 * packages build on (health checks, the proxy, TLS backends): raw L4 and
 * peer connects, the transport connector, CONNECT-proxy handshakes, bind
 * address choice, reuse-retry marks and the helpers of the UpstreamTls seam.
 * Applications use the main entry's HttpConnector and HttpPeer instead.
 */
export { type BindToLists, pickBindTo, resolveBindToLists } from './connectors/bind-to.ts';
export {
  type ConnectResponse,
  MAX_CONNECT_RESPONSE_HEAD,
  parseConnectResponse,
} from './connectors/connect-response.ts';
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
  type ConnectorOptions,
  type ConnectorServerConf,
  connectorOptionsFromServerConf,
  DEFAULT_KEEPALIVE_POOL_SIZE,
  TransportConnector,
} from './connectors/transport-connector.ts';
export {
  ALPN_PROTOCOLS,
  acceptedNames,
  noUpstreamTlsError,
  replaceLeftmostUnderscore,
  sniFor,
  tlsContextKey,
  type UpstreamTls,
  type UpstreamTlsRequest,
  type UpstreamTlsStream,
} from './connectors/upstream-tls.ts';
export { socketAddrOf } from './l4/socket-addr.ts';
export { connectAuthority, resolveConnectProxy } from './upstreams/connect-proxy.ts';
export { resolvePeerOptions } from './upstreams/peer-options.ts';
export { pemFingerprint } from './upstreams/pem-fingerprint.ts';
