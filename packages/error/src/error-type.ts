/**
 * The closed set of error kinds (Pingora's ErrorType). A kind says what went
 * wrong; the HTTP status a proxy answers with and whether a retry makes sense
 * are derived from it elsewhere. `HTTPStatus` carries its code on the error.
 */

export const ErrorType = {
  // Connecting to a peer
  ConnectTimedout: 'ConnectTimedout',
  ConnectRefused: 'ConnectRefused',
  ConnectNoRoute: 'ConnectNoRoute',
  ConnectProxyFailure: 'ConnectProxyFailure',
  ConnectError: 'ConnectError',
  // TLS
  TLSHandshakeFailure: 'TLSHandshakeFailure',
  TLSHandshakeTimedout: 'TLSHandshakeTimedout',
  TLSWanted: 'TLSWanted',
  InvalidCert: 'InvalidCert',
  HandshakeError: 'HandshakeError',
  // Sockets
  BindError: 'BindError',
  AcceptError: 'AcceptError',
  SocketError: 'SocketError',
  // HTTP protocol
  InvalidHTTPHeader: 'InvalidHTTPHeader',
  H1Error: 'H1Error',
  H2Error: 'H2Error',
  InvalidH2: 'InvalidH2',
  H2Downgrade: 'H2Downgrade',
  // IO on an established connection
  ReadError: 'ReadError',
  WriteError: 'WriteError',
  ReadTimedout: 'ReadTimedout',
  WriteTimedout: 'WriteTimedout',
  ConnectionClosed: 'ConnectionClosed',
  // An HTTP status to answer with (the code is PingoraError.status)
  HTTPStatus: 'HTTPStatus',
  // Files
  FileOpenError: 'FileOpenError',
  FileCreateError: 'FileCreateError',
  FileReadError: 'FileReadError',
  FileWriteError: 'FileWriteError',
  // Configuration given by the user (YAML, CLI, code)
  ConfigError: 'ConfigError',
  // Everything else
  InternalError: 'InternalError',
  UnknownError: 'UnknownError',
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

const KNOWN = new Set<string>(Object.values(ErrorType));

export function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && KNOWN.has(value);
}

/** `ConnectTimedout` -> `CONNECT_TIMEDOUT`, `TLSHandshakeFailure` -> `TLS_HANDSHAKE_FAILURE`. */
function screamingSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

const CODES = new Map<string, string>(
  Object.values(ErrorType).map((t) => [t, `ERR_PINGORA_${screamingSnake(t)}`]),
);

/**
 * The Node-style `code` of an error kind (`ERR_PINGORA_CONNECT_TIMEDOUT`),
 * what `PingoraError#code` returns, for code that branches on `err.code`.
 */
export function errorCode(type: ErrorType): string {
  return CODES.get(type) ?? `ERR_PINGORA_${screamingSnake(type)}`;
}
