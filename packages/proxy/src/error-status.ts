/**
 * The status a proxy answers with when a request fails (the default of
 * failToProxy): the error's own status for HTTPStatus errors, 504 when the
 * upstream was too slow, 502 when it could not be reached or misbehaved, 400
 * for a bad request, 0 when the client is gone, 500 for our own bugs.
 */
import { ErrorSource, ErrorType, type PingoraError } from '@pingora-ts/error';

const TIMEOUTS = new Set<ErrorType>([
  ErrorType.ConnectTimedout,
  ErrorType.TLSHandshakeTimedout,
  ErrorType.ReadTimedout,
  ErrorType.WriteTimedout,
]);

const UNREACHABLE = new Set<ErrorType>([
  ErrorType.ConnectRefused,
  ErrorType.ConnectNoRoute,
  ErrorType.ConnectProxyFailure,
  ErrorType.ConnectError,
  ErrorType.TLSHandshakeFailure,
  ErrorType.TLSWanted,
  ErrorType.InvalidCert,
  ErrorType.HandshakeError,
]);

/** IO failures of the client connection itself: nobody is left to answer. */
const DOWNSTREAM_GONE = new Set<ErrorType>([
  ErrorType.ReadError,
  ErrorType.WriteError,
  ErrorType.ConnectionClosed,
  ErrorType.SocketError,
]);

/**
 * The HTTP status for `error`, or 0 when no response should be attempted
 * because the downstream connection is already dead.
 */
export function errorStatus(error: PingoraError): number {
  if (error.type === ErrorType.HTTPStatus) {
    const status = error.status ?? 500;
    return status >= 100 && status <= 999 ? status : 500;
  }
  switch (error.source) {
    case ErrorSource.Downstream:
      if (DOWNSTREAM_GONE.has(error.type)) return 0;
      if (error.type === ErrorType.ReadTimedout) return 408;
      return 400;
    case ErrorSource.Upstream:
      return TIMEOUTS.has(error.type) ? 504 : 502;
    default:
      // Connect and timeout kinds are about a peer even when nobody set the source.
      if (TIMEOUTS.has(error.type)) return 504;
      if (UNREACHABLE.has(error.type)) return 502;
      return 500;
  }
}
