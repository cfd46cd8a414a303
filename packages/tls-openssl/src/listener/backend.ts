/**
 * The node:tls TLS backend: builds an OpensslAcceptor per TLS endpoint.
 */

import type { TlsSettings } from '@pingora-ts/core';
import type { TlsAcceptor, TlsAcceptorEnv, TlsBackend } from '@pingora-ts/core/tls';
import { OpensslAcceptor } from './acceptor.ts';

export const opensslTlsBackend: TlsBackend = {
  name: 'openssl',
  createAcceptor(settings: TlsSettings, env: TlsAcceptorEnv): TlsAcceptor {
    return new OpensslAcceptor(settings, env);
  },
};
