/**
 * ClientCertKey: the certificate and key an HttpPeer presents for mutual TLS
 * (Pingora's CertKey). Identified by a SHA-256 fingerprint of its contents,
 * computed once, so the peer's reuse hash stays short and cheap.
 */
import { createHash } from 'node:crypto';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface ClientCertKeyInit {
  /** PEM certificate (chain). */
  readonly cert: string | Buffer;
  /** PEM private key. */
  readonly key: string | Buffer;
}

export class ClientCertKey {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Hex SHA-256 of cert and key: equal fingerprints mean the same identity. */
  readonly fingerprint: string;

  constructor(init: ClientCertKeyInit) {
    if (isEmpty(init.cert) || isEmpty(init.key)) {
      throw PingoraError.explain(ErrorType.ConfigError, 'client certificate and key must be set');
    }
    this.cert = init.cert;
    this.key = init.key;
    const hash = createHash('sha256');
    hash.update(typeof init.cert === 'string' ? Buffer.from(init.cert) : init.cert);
    hash.update('\0');
    hash.update(typeof init.key === 'string' ? Buffer.from(init.key) : init.key);
    this.fingerprint = hash.digest('hex');
  }

  toString(): string {
    return `client cert sha256:${this.fingerprint.slice(0, 16)}`;
  }
}

function isEmpty(value: unknown): boolean {
  return !(typeof value === 'string' || Buffer.isBuffer(value)) || value.length === 0;
}
