/**
 * Test helpers: an HTTP/1 server on 127.0.0.1 port 0 that wraps each socket
 * in an H1ServerSession and runs a handler in a keep-alive loop (without the
 * ListeningService, so session behaviour is tested alone), and raw-socket
 * clients that send exact bytes and collect what comes back.
 */
import net from 'node:net';
import type { PingoraError } from '@pingora-ts/error';
import { ResponseHeader } from '@pingora-ts/http';
import type { ServerApp } from '../../../src/apps/server-app.ts';
import { Stream } from '../../../src/l4/stream.ts';
import type { H1ServerOptions } from '../../../src/protocols/http/v1/server-options.ts';
import { H1ServerSession } from '../../../src/protocols/http/v1/server-session.ts';

export type Handler = (session: H1ServerSession) => Promise<void>;

export interface TestServer extends AsyncDisposable {
  readonly port: number;
  /** Errors readRequest rejected with, in order. */
  readonly refusals: PingoraError[];
  /** Sessions created, in order. */
  readonly sessions: H1ServerSession[];
  close(): Promise<void>;
}

/** Echoes method, target and the body length; `Content-Length` framed. */
export const echoHandler: Handler = async (s) => {
  const req = s.requestHeader!;
  let n = 0;
  for (;;) {
    const c = await s.readBodyChunk();
    if (c === null) break;
    n += c.length;
  }
  const body = Buffer.from(`${req.method} ${req.target} ${n}`);
  const resp = ResponseHeader.build(200);
  resp.insertHeader('Content-Length', body.length);
  s.writeResponseHeader(resp);
  s.writeBody(body);
};

export async function startServer(
  handler: Handler = echoHandler,
  options: H1ServerOptions = {},
): Promise<TestServer> {
  const refusals: PingoraError[] = [];
  const sessions: H1ServerSession[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const session = new H1ServerSession(new Stream(socket), options);
    sessions.push(session);
    for (;;) {
      let req: unknown;
      try {
        req = await session.readRequest();
      } catch (err) {
        refusals.push(err as PingoraError);
        return;
      }
      if (req === null) return;
      try {
        await handler(session);
        if (session.responseWritten === undefined) await session.respondError(500);
        await session.finishResponse();
      } catch {
        session.destroy();
        return;
      }
      if (!session.keepalive) return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, refusals, sessions, close, [Symbol.asyncDispose]: close };
}

/** Sends `data` (pieces written `gapMs` apart) and collects everything until the server closes or `waitMs` passes. */
export async function rawExchange(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  options: { waitMs?: number; gapMs?: number; endAfterWrite?: boolean } = {},
): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => {});
  const done = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closed = true;
      resolve();
    });
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const pieces = Array.isArray(data) ? data : [data];
  for (const p of pieces) {
    if (socket.destroyed) break;
    socket.write(p);
    if (options.gapMs !== undefined) await sleep(options.gapMs);
  }
  if (options.endAfterWrite === true) socket.end();
  await Promise.race([done, sleep(options.waitMs ?? 2_000)]);
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}

/** The status codes of every response in `text`, in order (status lines only). */
export function statuses(text: string): number[] {
  const out: number[] = [];
  const re = /HTTP\/1\.[01] (\d{3})/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(Number(m[1]));
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Serves `app` (e.g. an HttpServer) on 127.0.0.1 port 0 with a plain net server. */
export async function startApp(app: ServerApp): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const shutdown = new AbortController();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    Promise.resolve(app.processNewConnection(new Stream(socket), shutdown.signal)).then(
      () => socket.end(),
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    shutdown.abort();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, refusals: [], sessions: [], close, [Symbol.asyncDispose]: close };
}
