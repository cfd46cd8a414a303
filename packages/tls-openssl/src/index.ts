/**
 * @pingora-ts/tls-openssl: the node:tls (OpenSSL) backend behind core's TLS
 * interfaces (mirrors pingora-openssl): the upstream connector's handshakes
 * with cached contexts, session resumption and Pingora's verification rules.
 */

// --- Upstream (connector) TLS
export { BoundedLru } from './connector/bounded-lru.ts';
export {
  type UpstreamContextEvent,
  type UpstreamHandshakeErrorEvent,
  type UpstreamHandshakeEvent,
  upstreamTlsChannels,
} from './connector/events.ts';
export {
  DEFAULT_CONTEXT_CACHE_SIZE,
  DEFAULT_SESSION_CACHE_SIZE,
  OpensslUpstreamTls,
  type UpstreamTlsOptions,
  type UpstreamTlsStats,
} from './connector/openssl-upstream-tls.ts';
export {
  type UpstreamTlsServerConf,
  upstreamTls,
  upstreamTlsFromServerConf,
} from './connector/shared.ts';
export { TrustedRoots } from './connector/trust-store.ts';
