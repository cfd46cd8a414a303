/**
 * @pingora-ts/tls-openssl: node:tls (OpenSSL) behind core's TLS interfaces
 * (Pingora's openssl backend). Importing it registers `opensslTlsBackend` as
 * the backend of `ListeningService.addTls`/`addTlsWithSettings`.
 */
import { registerTlsBackend } from '@pingora-ts/core';
import { opensslTlsBackend } from './listener/backend.ts';

registerTlsBackend(opensslTlsBackend);

export { OpensslAcceptor } from './listener/acceptor.ts';
export { opensslTlsBackend } from './listener/backend.ts';
