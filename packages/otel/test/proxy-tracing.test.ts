/**
 * Traces of real proxied requests, exported by the OpenTelemetry SDK's
 * OTLP/HTTP (JSON) exporter to a fake receiver on loopback and checked span
 * by span: the server span continues the client's W3C trace, each upstream
 * attempt is a client span under it (the retried one failed, the retry
 * carries http.request.resend_count), the origin receives the successful
 * attempt's traceparent and the client's tracestate, with HTTP
 * semantic-convention attributes throughout. Without ProxyTracing nothing
 * subscribes to the proxy's events.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { HttpPeer, Server } from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp, proxyLifecycleChannels } from '@pingora-ts/proxy';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { ProxyTracing } from '../src/proxy-tracing.ts';
import { startFakeOtlp } from './utils/fake-otlp.ts';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

async function startOrigin(seen: IncomingHttpHeaders[]) {
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(req.url === '/missing' ? 404 : 200);
    res.end('origin');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function closedAddress(): Promise<string> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}

async function startGateway(inner: ProxyHttp<null>) {
  const server = new Server({ confText: 'version: 1\n', logger: pino({ level: 'silent' }) });
  const service = httpProxyService(server, inner);
  service.addTcp('127.0.0.1:0');
  server.addService(service);
  const run = server.run();
  const [bound] = await service.listening;
  if (bound === undefined || bound.kind !== 'inet') throw new Error('not listening');
  return {
    port: bound.port,
    [Symbol.asyncDispose]: () => run.shutdown({ graceful: false }),
  };
}

function tracing(url: string) {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gateway-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  const tracer = new ProxyTracing({ tracerProvider: provider });
  return {
    provider,
    async [Symbol.asyncDispose]() {
      tracer[Symbol.dispose]();
      await provider.shutdown();
    },
  };
}

describe('proxy tracing', () => {
  it('exports a server span and one client span per attempt, and sends the trace upstream', async () => {
    await using otlp = await startFakeOtlp();
    await using t = tracing(otlp.url);
    const seen: IncomingHttpHeaders[] = [];
    await using origin = await startOrigin(seen);
    const dead = await closedAddress();
    let calls = 0;
    await using gw = await startGateway({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(calls++ === 0 ? dead : origin.address),
      failToConnect: (_s, _p, _c, e) => e.withRetry(true),
    });
    const res = await httpRequest(gw.port, '/items/7?q=1', {
      headers: {
        host: 'shop.example:8443',
        'user-agent': 'otel-test/1',
        traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
        tracestate: 'vendor=abc',
      },
    });
    expect(res.status).toBe(200);
    await t.provider.forceFlush();
    const spans = await otlp.waitForSpans(3);
    expect(otlp.contentTypes[0]).toBe('application/json');
    const server = spans.find((s) => s.kind === 2);
    const clients = spans.filter((s) => s.kind === 3).sort((a, b) => Number(a.startNs - b.startNs));
    if (server === undefined) throw new Error('no server span');
    expect(clients).toHaveLength(2);
    // The client's trace continues through the proxy.
    expect(server.traceId).toBe(CLIENT_TRACE);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.name).toBe('GET');
    expect(server.scope).toBe('@pingora-ts/proxy');
    expect(server.resource['service.name']).toBe('gateway-test');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/items/7',
      'url.scheme': 'http',
      'server.address': 'shop.example',
      'server.port': 8443,
      'client.address': '127.0.0.1',
      'user_agent.original': 'otel-test/1',
      'network.protocol.version': '1.1',
      'http.response.status_code': 200,
      'pingora.retries': 1,
    });
    expect(server.status).toBe(0);
    const [failed, ok] = clients as [(typeof clients)[0], (typeof clients)[0]];
    for (const c of clients) {
      expect(c.traceId).toBe(CLIENT_TRACE);
      expect(c.parentSpanId).toBe(server.spanId);
    }
    // The first attempt: refused connect, an error span with the exception.
    expect(failed.status).toBe(2);
    expect(failed.attributes['error.type']).toBe('ConnectRefused');
    expect(failed.attributes['http.request.resend_count']).toBeUndefined();
    expect(failed.events).toContain('exception');
    expect(failed.attributes['server.address']).toBe('127.0.0.1');
    expect(failed.attributes['server.port']).toBe(Number(dead.split(':')[1]));
    // The retry: resend count 1, the origin's status, and its context went upstream.
    expect(ok.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.request.resend_count': 1,
      'http.response.status_code': 200,
      'server.port': Number(origin.address.split(':')[1]),
      'url.full': `http://${origin.address}/items/7?q=1`,
    });
    expect(ok.status).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.traceparent).toBe(`00-${CLIENT_TRACE}-${ok.spanId}-01`);
    expect(seen[0]?.tracestate).toBe('vendor=abc');
  });

  it('starts a new trace for a malformed traceparent and marks 5xx answers as errors', async () => {
    await using otlp = await startFakeOtlp();
    await using t = tracing(otlp.url);
    const seen: IncomingHttpHeaders[] = [];
    await using origin = await startOrigin(seen);
    await using gw = await startGateway({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
    });
    await httpRequest(gw.port, '/missing', {
      headers: { traceparent: `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`, tracestate: 'stale=1' },
    });
    await t.provider.forceFlush();
    const spans = await otlp.waitForSpans(2);
    const server = spans.find((s) => s.kind === 2);
    const client = spans.find((s) => s.kind === 3);
    expect(server?.parentSpanId).toBeUndefined();
    expect(server?.traceId).not.toBe('0'.repeat(32));
    expect(client?.attributes['http.response.status_code']).toBe(404);
    expect(client?.status).toBe(2);
    // 404 is not a server error for the server span.
    expect(server?.status).toBe(0);
    expect(seen[0]?.traceparent).toBe(`00-${server?.traceId}-${client?.spanId}-01`);
    expect(seen[0]?.tracestate).toBeUndefined();
  });

  it('is off by default: nothing subscribes to the proxy events until a ProxyTracing exists', () => {
    const channels = Object.values(proxyLifecycleChannels);
    expect(channels.some((c) => c.hasSubscribers)).toBe(false);
    const tracer = new ProxyTracing();
    expect(proxyLifecycleChannels.requestStart.hasSubscribers).toBe(true);
    tracer[Symbol.dispose]();
    expect(channels.some((c) => c.hasSubscribers)).toBe(false);
  });
});
