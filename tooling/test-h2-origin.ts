/**
 * A scriptable node:http2 (core API) h2c origin for connector and proxy
 * tests: counts sessions (connections) and streams, and lets each test
 * decide per stream what to answer (or how to misbehave).
 */
import { once } from 'node:events';
import {
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

export type H2Handler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  session: ServerHttp2Session,
) => void;

export interface H2Origin extends AsyncDisposable {
  readonly port: number;
  readonly server: Http2Server;
  /** Connections accepted so far. */
  sessions: number;
  /** Streams seen so far. */
  streams: number;
  /** Connections that carried at least one stream (health-check probes do not). */
  readonly streamSessions: Set<ServerHttp2Session>;
  handler: H2Handler;
}

/** Echoes method, path and body with a trailer `x-bytes`. */
export const echoHandler: H2Handler = (stream, headers) => {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const body = Buffer.concat(chunks);
    stream.respond(
      { ':status': 200, 'x-path': String(headers[':path']) },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-bytes': String(body.length) }));
    stream.end(Buffer.concat([Buffer.from(`${headers[':method']} ${headers[':path']} `), body]));
  });
};

export async function startH2Origin(
  handler: H2Handler = echoHandler,
  settings: { maxConcurrentStreams?: number } = {},
): Promise<H2Origin> {
  const server = createServer({ settings: { maxConcurrentStreams: 1000, ...settings } });
  const origin = {
    port: 0,
    server,
    sessions: 0,
    streams: 0,
    streamSessions: new Set<ServerHttp2Session>(),
    handler,
    async [Symbol.asyncDispose]() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const open = new Set<ServerHttp2Session>();
  server.on('session', (s) => {
    origin.sessions++;
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    origin.streams++;
    origin.streamSessions.add(stream.session as ServerHttp2Session);
    stream.on('error', () => {});
    origin.handler(stream, headers, stream.session as ServerHttp2Session);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin.port = (server.address() as AddressInfo).port;
  return origin;
}
