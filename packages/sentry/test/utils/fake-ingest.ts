/**
 * A fake Sentry ingestion endpoint on 127.0.0.1 port 0: it accepts what the
 * SDK's HTTP transport POSTs to `/api/<project>/envelope/` (gunzipping when
 * asked), keeps the raw bodies and parses each envelope item by item (item
 * headers with or without `length`), so tests check events field by field.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface EnvelopeItem {
  readonly header: Record<string, unknown>;
  /** The payload parsed as JSON when it is JSON, else the raw text. */
  readonly payload: unknown;
}

export interface Envelope {
  readonly path: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly header: Record<string, unknown>;
  readonly items: EnvelopeItem[];
  /** The whole body as received (after gunzip), for "never contains" checks. */
  readonly raw: string;
}

export interface FakeIngest extends AsyncDisposable {
  readonly port: number;
  readonly dsn: string;
  readonly envelopes: Envelope[];
  /** Events (items of type `event`) received so far. */
  events(): Array<Record<string, unknown>>;
  /** Waits (bounded) until `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
}

/** Splits an envelope body into its header and items. */
export function parseEnvelope(body: Buffer): {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
} {
  let pos = 0;
  const readLine = (): string => {
    const nl = body.indexOf(0x0a, pos);
    const end = nl === -1 ? body.length : nl;
    const line = body.subarray(pos, end).toString('utf8');
    pos = end + 1;
    return line;
  };
  const header = JSON.parse(readLine()) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (pos < body.length) {
    const headerLine = readLine();
    if (headerLine === '') continue;
    const itemHeader = JSON.parse(headerLine) as Record<string, unknown>;
    let payloadText: string;
    if (typeof itemHeader.length === 'number') {
      payloadText = body.subarray(pos, pos + itemHeader.length).toString('utf8');
      pos += itemHeader.length + 1;
    } else payloadText = readLine();
    let payload: unknown = payloadText;
    try {
      payload = JSON.parse(payloadText);
    } catch {
      // Attachments and the like stay text.
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

export async function startFakeIngest(): Promise<FakeIngest> {
  const envelopes: Envelope[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 8 << 20) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (req.method === 'POST' && /^\/api\/\d+\/envelope\/?/.test(req.url ?? '')) {
        const parsed = parseEnvelope(body);
        envelopes.push({
          path: req.url ?? '',
          requestHeaders: req.headers,
          header: parsed.header,
          items: parsed.items,
          raw: body.toString('utf8'),
        });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const events = () =>
    envelopes.flatMap((e) =>
      e.items
        .filter((i) => i.header.type === 'event')
        .map((i) => i.payload as Record<string, unknown>),
    );
  return {
    port,
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    envelopes,
    events,
    async waitForEvents(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events().length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} events, got ${events().length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return events();
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Parsed JSON that the tests walk field by field (their expectations check every step). */
// biome-ignore lint/suspicious/noExplicitAny: parsed envelope JSON, checked by the expectations that read it
export type Json = any;
