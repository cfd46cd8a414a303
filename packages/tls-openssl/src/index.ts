/**
 * @pingora-ts/tls-openssl: the node:tls (OpenSSL) backend behind core's TLS
 * interfaces (mirrors pingora-openssl). Both sides are passed explicitly,
 * nothing registers itself on import: downstream, `opensslTlsBackend` in a
 * ListeningService's `tlsBackend` option (TLS listeners: SNI and wildcard
 * certificates, hot reload, mTLS, resumption); upstream, `upstreamTls()` in a
 * connector's `tls` option (cached contexts, session resumption, Pingora's
 * verification rules). `httpProxyService` wires both.
 */

// --- Upstream (connector) TLS
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
// --- Downstream (listener) TLS
export { OpensslAcceptor } from './listener/acceptor.ts';
export { opensslTlsBackend } from './listener/backend.ts';
