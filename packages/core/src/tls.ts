/**
 * @pingora-ts/core/tls: what a TLS backend implements and reads (the
 * listener side of Pingora's TLS abstraction): the backend interface (a
 * ListeningService takes one in its `tlsBackend` option), the acceptor a
 * backend builds from TlsSettings, the settings check and its defaults.
 * `@pingora-ts/tls-openssl` exports `opensslTlsBackend`; applications use the
 * main entry's TlsSettings and ListeningService.addTls.
 */
export {
  type TlsAcceptCallbacks,
  type TlsAcceptor,
  type TlsAcceptorEnv,
  type TlsBackend,
  TlsFailureReason,
} from './listeners/tls-acceptor.ts';
export {
  checkTlsSettings,
  DEFAULT_TLS_CIPHERS,
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_MAX_HANDSHAKES,
  DEFAULT_TLS_SESSION_CACHE_SIZE,
  DEFAULT_TLS_SESSION_TIMEOUT_SECONDS,
  DEFAULT_TLS_WATCH_DEBOUNCE_MS,
  LISTENER_ALPN_PROTOCOLS,
} from './listeners/tls-settings.ts';
