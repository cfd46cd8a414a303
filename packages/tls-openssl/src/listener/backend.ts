/**
 * The node:tls TLS backend: builds an OpensslAcceptor per TLS endpoint.
 */
import type { TlsAcceptor, TlsAcceptorEnv, TlsBackend, TlsSettings } from '@pingora-ts/core';
import { OpensslAcceptor } from './acceptor.ts';

export const opensslTlsBackend: TlsBackend = {
  name: 'openssl',
  createAcceptor(settings: TlsSettings, env: TlsAcceptorEnv): TlsAcceptor {
    return new OpensslAcceptor(settings, env);
  },
};
