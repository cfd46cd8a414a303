/**
 * ProxyTracing: OpenTelemetry traces of a pingora-ts proxy from its lifecycle
 * events. One SERVER span per request (a child of the client's W3C trace
 * context when it sent one), one CLIENT span per upstream attempt (a retry
 * is a second client span with `http.request.resend_count`), the client
 * span's context sent upstream as traceparent/tracestate, and the HTTP
 * semantic-convention attributes. Off until constructed: without it the
 * proxy publishes nothing and pays one `hasSubscribers` read per point.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { formatSocketAddr, type SocketAddr } from '@pingora-ts/core';
import type {
  AttemptEndEvent,
  AttemptStartEvent,
  RequestEndEvent,
  RequestStartEvent,
  Session,
  UpstreamRequestEvent,
} from '@pingora-ts/proxy';
import { proxyLifecycleChannels } from '@pingora-ts/proxy';
import { extractTraceContext, injectTraceContext } from './trace-context.ts';

export const TRACER_NAME = '@pingora-ts/proxy';

export interface ProxyTracingOptions {
  /** Where spans go (default: the global one, `trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Continue the client's trace from its traceparent (default true; false: always a new trace). */
  trustIncomingTrace?: boolean;
}

interface RequestSpans {
  readonly server: Span;
  attempt: Span | undefined;
}

export class ProxyTracing implements Disposable {
  readonly #tracer: Tracer;
  readonly #trustIncoming: boolean;
  readonly #spans = new WeakMap<Session, RequestSpans>();
  #subscribed = true;

  /** Starts tracing every proxy of the process at once. */
  constructor(options: ProxyTracingOptions = {}) {
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    this.#tracer = provider.getTracer(TRACER_NAME);
    this.#trustIncoming = options.trustIncomingTrace ?? true;
    const ch = proxyLifecycleChannels;
    subscribe(ch.requestStart.name, this.#onRequestStart);
    subscribe(ch.attemptStart.name, this.#onAttemptStart);
    subscribe(ch.upstreamRequest.name, this.#onUpstreamRequest);
    subscribe(ch.attemptEnd.name, this.#onAttemptEnd);
    subscribe(ch.requestEnd.name, this.#onRequestEnd);
  }

  /** Stops tracing (idempotent); spans already started still end. */
  [Symbol.dispose](): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    const ch = proxyLifecycleChannels;
    unsubscribe(ch.requestStart.name, this.#onRequestStart);
    unsubscribe(ch.attemptStart.name, this.#onAttemptStart);
    unsubscribe(ch.upstreamRequest.name, this.#onUpstreamRequest);
    unsubscribe(ch.attemptEnd.name, this.#onAttemptEnd);
    unsubscribe(ch.requestEnd.name, this.#onRequestEnd);
  }

  readonly #onRequestStart = (message: unknown): void => {
    const { session } = message as RequestStartEvent;
    const req = session.reqHeader;
    const remote = this.#trustIncoming ? extractTraceContext(req) : undefined;
    const parent = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
    const attributes: Attributes = {
      'http.request.method': req.method,
      'url.path': req.path,
      'url.scheme': 'http',
      'network.protocol.version': req.version === 'HTTP/1.0' ? '1.0' : '1.1',
    };
    const host = req.getHeader('host');
    if (host !== undefined) {
      const { address, port } = splitHost(host);
      attributes['server.address'] = address;
      if (port !== undefined) attributes['server.port'] = port;
    }
    const peer = session.digest.peerAddr;
    if (peer !== undefined && peer.kind === 'inet') {
      attributes['client.address'] = peer.address;
      attributes['network.peer.address'] = peer.address;
      attributes['network.peer.port'] = peer.port;
    }
    const ua = req.getHeader('user-agent');
    if (ua !== undefined) attributes['user_agent.original'] = ua;
    const server = this.#tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    this.#spans.set(session, { server, attempt: undefined });
  };

  readonly #onAttemptStart = (message: unknown): void => {
    const { session, peer, attempt } = message as AttemptStartEvent;
    const spans = this.#spans.get(session);
    if (spans === undefined) return;
    spans.attempt?.end();
    const req = session.reqHeader;
    const attributes: Attributes = {
      'http.request.method': req.method,
      'url.full': `${peer.tls ? 'https' : 'http'}://${hostOf(peer.address, peer.sni)}${req.target}`,
    };
    setPeerAttributes(attributes, peer.address);
    if (attempt > 0) attributes['http.request.resend_count'] = attempt;
    const parent = trace.setSpan(ROOT_CONTEXT, spans.server);
    spans.attempt = this.#tracer.startSpan(
      req.method,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
  };

  readonly #onUpstreamRequest = (message: unknown): void => {
    const { session, request } = message as UpstreamRequestEvent;
    const attempt = this.#spans.get(session)?.attempt;
    if (attempt !== undefined) injectTraceContext(request, attempt.spanContext());
  };

  readonly #onAttemptEnd = (message: unknown): void => {
    const { session, error } = message as AttemptEndEvent;
    const spans = this.#spans.get(session);
    const span = spans?.attempt;
    if (spans === undefined || span === undefined) return;
    spans.attempt = undefined;
    if (error !== undefined) {
      span.recordException(error);
      span.setAttribute('error.type', error.type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else {
      const status = session.upstreamResponse?.status;
      if (status !== undefined) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 400) {
          span.setAttribute('error.type', String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
    }
    span.end();
  };

  readonly #onRequestEnd = (message: unknown): void => {
    const { session, error } = message as RequestEndEvent;
    const spans = this.#spans.get(session);
    if (spans === undefined) return;
    this.#spans.delete(session);
    spans.attempt?.end();
    const server = spans.server;
    const status = session.downstream.responseWritten?.status;
    if (status !== undefined) server.setAttribute('http.response.status_code', status);
    if (error !== undefined) {
      server.recordException(error);
      server.setAttribute('error.type', error.type);
      server.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    } else if (status !== undefined && status >= 500) {
      server.setAttribute('error.type', String(status));
      server.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (session.retries > 0) server.setAttribute('pingora.retries', session.retries);
    server.end();
  };
}

function setPeerAttributes(attributes: Attributes, address: SocketAddr): void {
  if (address.kind === 'inet') {
    attributes['server.address'] = address.address;
    attributes['server.port'] = address.port;
    attributes['network.peer.address'] = address.address;
    attributes['network.peer.port'] = address.port;
  } else {
    attributes['server.address'] = formatSocketAddr(address);
    attributes['network.transport'] = 'unix';
  }
}

function hostOf(address: SocketAddr, sni: string): string {
  if (sni !== '') return sni;
  return address.kind === 'inet' ? formatSocketAddr(address) : 'localhost';
}

/** `example.com:8080` -> address and port; `[::1]:80` and bare names too. */
function splitHost(host: string): { address: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(host);
  if (m === null) return { address: host, port: undefined };
  const port = m[2] === undefined ? undefined : Number(m[2]);
  return { address: m[1] as string, port: port !== undefined && port <= 65535 ? port : undefined };
}
