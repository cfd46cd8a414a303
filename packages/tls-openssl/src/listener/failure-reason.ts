/**
 * Maps a failed server handshake's error to a TlsFailureReason (for logs and
 * the failures-by-reason metric) and to a Downstream PingoraError. node:tls
 * reports OpenSSL's reason as an `ERR_SSL_*` code.
 */
import { TlsFailureReason } from '@pingora-ts/core/tls';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';

const BY_CODE: ReadonlyArray<readonly [RegExp, TlsFailureReason]> = [
  [/HANDSHAKE_TIMEOUT/, TlsFailureReason.Timeout],
  [/^(ECONNRESET|EPIPE|ERR_SOCKET_CLOSED|ECONNABORTED)$/, TlsFailureReason.ClientClosed],
  [
    /UNSUPPORTED_PROTOCOL|VERSION_TOO_LOW|VERSION_TOO_HIGH|PROTOCOL_VERSION/,
    TlsFailureReason.Version,
  ],
  [
    /NO_SHARED_CIPHER|NO_SUITABLE|SHARED_GROUP|NO_SHARED_SIG|INSUFFICIENT_SECURITY/,
    TlsFailureReason.Cipher,
  ],
  [/APPLICATION_PROTOCOL|ALPN/, TlsFailureReason.Alpn],
  [
    /CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN|CERTIFICATE_VERIFY|BAD_CERTIFICATE|UNKNOWN_CA|CERT/,
    TlsFailureReason.ClientCert,
  ],
  [
    /HTTP_REQUEST|WRONG_VERSION_NUMBER|PACKET_LENGTH|RECORD|UNEXPECTED_MESSAGE|DECODE/,
    TlsFailureReason.Protocol,
  ],
];

export function failureReason(err: unknown): TlsFailureReason {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  if (message === 'socket hang up') return TlsFailureReason.ClientClosed;
  for (const [re, reason] of BY_CODE) if (re.test(code)) return reason;
  return TlsFailureReason.Other;
}

export function handshakeError(
  reason: TlsFailureReason,
  endpoint: string,
  cause?: unknown,
): PingoraError {
  const type =
    reason === TlsFailureReason.Timeout
      ? ErrorType.TLSHandshakeTimedout
      : reason === TlsFailureReason.ClientCert || reason === TlsFailureReason.Rejected
        ? ErrorType.InvalidCert
        : reason === TlsFailureReason.ClientClosed
          ? ErrorType.ConnectionClosed
          : ErrorType.TLSHandshakeFailure;
  return new PingoraError(type, {
    source: ErrorSource.Downstream,
    context: `TLS handshake on ${endpoint} failed: ${reason}`,
    cause,
  });
}
