/**
 * @pingora-ts/proxy: HttpProxy and the ProxyHttp phases: a programmable
 * reverse proxy (mirrors pingora-proxy).
 */
export {
  type ProxyFailureFields,
  proxyFailureFields,
  type SerializedCause,
  type SerializedProxyError,
  serializeProxyError,
} from './error-log.ts';
export type { ErrorLogLimiterOptions } from './error-log-limiter.ts';
export { errorStatus } from './error-status.ts';
export { isClientAbort, type ProxyLogger } from './failure-log.ts';
export { addForwardedHeaders, clientIp, type ForwardedOptions } from './forwarded.ts';
export { removeHopByHopHeaders } from './hop-by-hop.ts';
export {
  DEFAULT_MAX_RETRIES,
  defaultErrorWhileProxy,
  defaultFailToProxy,
  HttpProxy,
  type HttpProxyOptions,
} from './http-proxy.ts';
export { type HttpProxyServiceOptions, httpProxyService } from './http-proxy-service.ts';
export type {
  AttemptEndEvent,
  AttemptStartEvent,
  ProxyFailureEvent,
  RequestEndEvent,
  RequestStartEvent,
  UpstreamRequestEvent,
} from './lifecycle-events.ts';
export { proxyLifecycleChannels } from './lifecycle-events.ts';
export {
  type ClientAbortEvent,
  clientAbortChannel,
  type ProxyRequestEvent,
  proxyRequestChannel,
} from './proxy-events.ts';
export type { BodyFilterReturn, FailToProxy, MaybePromise, ProxyHttp } from './proxy-http.ts';
export { ProxyPhase } from './proxy-phase.ts';
export type { ProxyHttpCache } from './proxy-http-cache.ts';
export {
  FAILURE_CHAIN_LIMIT,
  RETRY_BUFFER_LIMIT,
  Session,
  type UpstreamTiming,
} from './session.ts';
export type { UpstreamConnector, UpstreamSessionLease } from './upstream-connector.ts';
