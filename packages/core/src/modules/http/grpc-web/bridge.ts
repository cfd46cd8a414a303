/**
 * The gRPC-web <-> gRPC translation (Pingora's protocols/http/bridge/grpc_web.rs,
 * plus the base64 `application/grpc-web-text` Pingora lacks): content types
 * both ways, `te: trailers` for the upstream, and the trailer frame that
 * carries gRPC's trailers in a gRPC-web response body.
 */
import {
  type HeaderList,
  type RequestHeader,
  type ResponseHeader,
  trimOws,
} from '@pingora-ts/http';

/** The gRPC-web flavour of a request: binary, base64 text, or not gRPC-web at all. */
export const GrpcWebMode = { None: 0, Binary: 1, Text: 2 } as const;
export type GrpcWebMode = (typeof GrpcWebMode)[keyof typeof GrpcWebMode];

const GRPC_WEB = /^application\/grpc-web(-text)?([+;].*)?$/i;

/** Which gRPC-web mode a request's content type selects. */
export function grpcWebMode(req: RequestHeader): GrpcWebMode {
  const ct = req.getHeader('content-type');
  const m = ct === undefined ? null : GRPC_WEB.exec(trimOws(ct));
  if (m === null) return GrpcWebMode.None;
  return m[1] !== undefined ? GrpcWebMode.Text : GrpcWebMode.Binary;
}

/**
 * Turns a gRPC-web request head into a gRPC one: the content type, `te:
 * trailers`, and for text mode a body of unknown length (it is decoded).
 */
export function requestToGrpc(req: RequestHeader, mode: GrpcWebMode): void {
  const ct = req.getHeader('content-type') as string;
  const suffix = GRPC_WEB.exec(trimOws(ct))?.[2] ?? '';
  req.insertHeader('content-type', `application/grpc${suffix}`);
  req.insertHeader('te', 'trailers');
  if (mode === GrpcWebMode.Text && req.hasHeader('content-length')) {
    req.removeHeader('content-length');
    req.insertHeader('transfer-encoding', 'chunked');
  }
}

/** Turns a gRPC response head into a gRPC-web one; false when it is not gRPC (left alone). */
export function responseToGrpcWeb(resp: ResponseHeader, mode: GrpcWebMode): boolean {
  const ct = resp.getHeader('content-type');
  const m = ct === undefined ? null : /^application\/grpc([+;].*)?$/i.exec(trimOws(ct));
  if (m === null) return false;
  const base = mode === GrpcWebMode.Text ? 'application/grpc-web-text' : 'application/grpc-web';
  resp.insertHeader('content-type', `${base}${m[1] ?? ''}`);
  // Trailers become body bytes: the length the upstream gave is wrong now.
  resp.removeHeader('content-length');
  return true;
}

/**
 * The gRPC-web trailer frame: flag 0x80, a 4-byte big-endian length, and
 * the trailers as `name:value\r\n` lines with lower-case names.
 */
export function trailerFrame(trailers: HeaderList): Buffer {
  let text = '';
  trailers.forEachHeader((name, value) => {
    text += `${name.toLowerCase()}:${value}\r\n`;
  });
  const body = Buffer.from(text, 'latin1');
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame[0] = 0x80;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}
