/**
 * Errors the proxy makes for gRPC requests, answered as gRPC (Envoy-style,
 * beyond Pingora's plain 5xx): a 200 trailers-only response whose
 * `grpc-status` says what happened (14 UNAVAILABLE when the upstream could
 * not be reached, 4 DEADLINE_EXCEEDED on a timeout, the mapping of gRPC's
 * http-grpc-status-mapping.md otherwise) with a percent-encoded `grpc-message`.
 */
import type { PingoraError } from '@pingora-ts/error';
import { type RequestHeader, ResponseHeader } from '@pingora-ts/http';

/** True for `content-type: application/grpc` and its `+proto`, `-web` ... variants. */
export function isGrpcRequest(req: RequestHeader): boolean {
  const ct = req.getHeader('content-type');
  return ct !== undefined && /^application\/grpc([+\-;]|$)/i.test(ct);
}

/** The gRPC status code for the HTTP status the proxy would have answered with. */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 504:
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 502:
    case 503:
    case 429:
      return 14; // UNAVAILABLE
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    default:
      return 2; // UNKNOWN
  }
}

/** gRPC's percent-encoding of grpc-message: printable ASCII except `%` kept, the rest as %XX of UTF-8. */
function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The trailers-only response for a failed gRPC request. */
export function grpcErrorResponse(httpStatus: number, error: PingoraError): ResponseHeader {
  const resp = ResponseHeader.build(200);
  resp.appendHeader('content-type', 'application/grpc');
  resp.appendHeader('grpc-status', String(grpcStatusFor(httpStatus)));
  resp.appendHeader('grpc-message', encodeGrpcMessage(`proxy: ${error.type} (${httpStatus})`));
  resp.appendHeader('content-length', '0');
  return resp;
}
