/**
 * @pingora-ts/core/h2: the HTTP/2 internals other pingora-ts packages build
 * on: the stream sessions behind HttpServerSession / HttpClientSession, the
 * multiplexed upstream connections, the h2c preface, resolved options, and
 * the pieces of the gRPC-web bridge. Applications use the main entry's
 * HttpServer (`h2c`, `h2`), HttpPeer (`alpn`, `maxH2Streams`) and GrpcWebBuilder.
 */
export { H2Connection } from './connectors/http/v2/h2-connection.ts';
export {
  H2Connector,
  type H2ConnectorOptions,
  type H2ConnectResult,
} from './connectors/http/v2/h2-connector.ts';
export { Base64Decoder, Base64Encoder } from './modules/http/grpc-web/base64-stream.ts';
export {
  grpcWebMode,
  requestToGrpc,
  responseToGrpcWeb,
  trailerFrame,
} from './modules/http/grpc-web/bridge.ts';
export { H2ClientSession, type H2StreamHost } from './protocols/http/v2/client-session.ts';
export { H2_PREFACE, type PrefaceVerdict, peekPreface } from './protocols/http/v2/h2c-preface.ts';
export {
  type ResolvedH2ServerOptions,
  resolveH2ServerOptions,
} from './protocols/http/v2/server-options.ts';
export { H2ServerSession } from './protocols/http/v2/server-session.ts';
