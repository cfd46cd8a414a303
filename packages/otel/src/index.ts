/**
 * @pingora-ts/otel: OpenTelemetry tracing of pingora-ts proxies on
 * @opentelemetry/api: a server span per request, a client span per upstream
 * attempt, W3C trace context upstream. Off unless a ProxyTracing exists.
 */
export { ProxyTracing, type ProxyTracingOptions, TRACER_NAME } from './proxy-tracing.ts';
export {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  TRACEPARENT,
  TRACESTATE,
} from './trace-context.ts';
export { setupTracing, type TracingHandle } from './setup-tracing.ts';
export { type TracingConfig, tracingConfigSchema } from './tracing-config.ts';
