/**
 * Converts errors that Node and user code throw into PingoraErrors: system
 * errors by their `code` (ECONNREFUSED -> ConnectRefused, ...), in light of what
 * was being done (connecting, reading, writing, binding, opening a file).
 */
import { ErrorSource } from './error-source.ts';
import { ErrorType } from './error-type.ts';
import { PingoraError } from './pingora-error.ts';

/** What the failing operation was; it decides the kind of codes that are ambiguous. */
export type IoPhase = 'connect' | 'read' | 'write' | 'bind' | 'accept' | 'file' | 'tls' | 'other';

export interface FromErrorOptions {
  phase?: IoPhase;
  source?: ErrorSource;
  context?: string;
}

const NO_ROUTE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
]);
const PEER_CLOSED = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CLOSED',
]);
const BAD_CERT = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** The error kind for a Node error code met during `phase`. */
export function errorTypeForCode(code: string | undefined, phase: IoPhase): ErrorType {
  if (code !== undefined) {
    if (code === 'ECONNREFUSED') return ErrorType.ConnectRefused;
    if (NO_ROUTE.has(code)) return ErrorType.ConnectNoRoute;
    if (code === 'ETIMEDOUT' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT') {
      return phase === 'read'
        ? ErrorType.ReadTimedout
        : phase === 'write'
          ? ErrorType.WriteTimedout
          : phase === 'tls'
            ? ErrorType.TLSHandshakeTimedout
            : ErrorType.ConnectTimedout;
    }
    if (BAD_CERT.has(code)) return ErrorType.InvalidCert;
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
      return ErrorType.TLSHandshakeFailure;
    if (PEER_CLOSED.has(code)) {
      return phase === 'connect' ? ErrorType.ConnectError : ErrorType.ConnectionClosed;
    }
    if (code === 'EADDRINUSE' || (phase === 'bind' && (code === 'EACCES' || code === 'EPERM'))) {
      return ErrorType.BindError;
    }
    if (phase === 'connect' && code === 'ENOENT') return ErrorType.ConnectNoRoute; // no such Unix socket
    if (phase === 'file') {
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
        return ErrorType.FileOpenError;
      return ErrorType.FileReadError;
    }
  }
  switch (phase) {
    case 'connect':
      return ErrorType.ConnectError;
    case 'read':
      return ErrorType.ReadError;
    case 'write':
      return ErrorType.WriteError;
    case 'bind':
      return ErrorType.BindError;
    case 'accept':
      return ErrorType.AcceptError;
    case 'file':
      return ErrorType.FileReadError;
    case 'tls':
      return ErrorType.TLSHandshakeFailure;
    default:
      return ErrorType.UnknownError;
  }
}

/**
 * Any thrown value as a PingoraError. A PingoraError passes through (gaining
 * the context, and the source if it had none); anything else becomes the cause
 * of a new error whose kind comes from its Node error code and the phase.
 */
export function toPingoraError(err: unknown, options: FromErrorOptions = {}): PingoraError {
  const source = options.source ?? ErrorSource.Unset;
  if (PingoraError.is(err)) {
    if (err.source === ErrorSource.Unset && source !== ErrorSource.Unset) err.withSource(source);
    if (options.context !== undefined) err.moreContext(options.context);
    return err;
  }
  const code = nodeErrorCode(err);
  const type = errorTypeForCode(code, options.phase ?? 'other');
  return PingoraError.create(type, source, options.context, err);
}

function nodeErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
