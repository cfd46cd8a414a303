/**
 * A fake OTLP/HTTP receiver on 127.0.0.1 port 0: it takes what the OTLP
 * HTTP exporter POSTs to /v1/traces as JSON (ExportTraceServiceRequest),
 * answers 200 with an empty partial-success body, and flattens the spans
 * (with their resource and attributes decoded) for the tests to check.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}

interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly events: string[];
  readonly resource: Record<string, string | number | boolean>;
  readonly scope: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

export interface FakeOtlp extends AsyncDisposable {
  readonly url: string;
  readonly contentTypes: string[];
  readonly spans: ReceivedSpan[];
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
}

function decode(attrs: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attrs ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}

export async function startFakeOtlp(): Promise<FakeOtlp> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.push(String(req.headers['content-type']));
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const parsed = JSON.parse(body.toString('utf8')) as {
          resourceSpans: Array<{
            resource?: { attributes?: KeyValue[] };
            scopeSpans: Array<{
              scope?: { name?: string };
              spans: Array<{
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                kind: number;
                attributes?: KeyValue[];
                status?: { code?: number };
                events?: Array<{ name: string }>;
                startTimeUnixNano: string;
                endTimeUnixNano: string;
              }>;
            }>;
          }>;
        };
        for (const rs of parsed.resourceSpans) {
          const resource = decode(rs.resource?.attributes);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId === '' ? undefined : s.parentSpanId,
                name: s.name,
                kind: s.kind,
                attributes: decode(s.attributes),
                status: s.status?.code ?? 0,
                events: (s.events ?? []).map((e) => e.name),
                resource,
                scope: ss.scope?.name ?? '',
                startNs: BigInt(s.startTimeUnixNano),
                endNs: BigInt(s.endTimeUnixNano),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    contentTypes,
    spans,
    async waitForSpans(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (spans.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} spans, got ${spans.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return spans;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
