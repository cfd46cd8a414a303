/**
 * @pingora-ts/core/h1: the HTTP/1 codec and session internals that other
 * pingora-ts packages build on (the proxy, health checks, benchmarks): the
 * incremental head parser, the H1 sessions, body sinks and the shared
 * deadline wheel. Applications use the main entry's HttpServer, serveHttp
 * and the HttpServerSession / HttpClientSession interfaces instead.
 */
export { statusForError } from './apps/http-app.ts';
export { writeWholeResponse } from './apps/serve-http.ts';
export { isDirectReadView } from './l4/direct-read.ts';
export type { BodySink, TunnelHandoff } from './protocols/http/body-sink.ts';
export { httpDate } from './protocols/http/date-cache.ts';
export {
  armDeadline,
  type DeadlineOwner,
  disarmDeadline,
  releaseDeadline,
  TICK_MS,
  useDeadlineWheel,
} from './protocols/http/deadline-ticker.ts';
export { type H1ClientOptions, H1ClientSession } from './protocols/http/v1/client-session.ts';
export {
  DEFAULT_HEAD_LIMITS,
  type HeadLimits,
  HeadMode,
  HeadParser,
  NEED_MORE,
  PARSE_ERROR,
} from './protocols/http/v1/head-parser.ts';
export {
  type ResolvedH1ServerOptions,
  resolveH1ServerOptions,
} from './protocols/http/v1/server-options.ts';
export { errorResponse, H1ServerSession } from './protocols/http/v1/server-session.ts';
