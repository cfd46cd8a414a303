/**
 * @pingora-ts/tls-openssl: the node:tls (OpenSSL) backend behind core's TLS
 * interfaces (mirrors pingora-openssl). Downstream: TLS listeners (SNI and
 * wildcard certificates, hot reload, mTLS, resumption); importing the
 * package registers `opensslTlsBackend` as the backend of
 * `ListeningService.addTls`/`addTlsWithSettings`. Upstream: the connector's
 * handshakes with cached contexts, session resumption and Pingora's
 * verification rules.
 */
import { registerTlsBackend } from '@pingora-ts/core/tls';
import { opensslTlsBackend } from './listener/backend.ts';

registerTlsBackend(opensslTlsBackend);

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
