/**
 * HttpServerApp (Pingora's apps::HttpServerApp) and HttpServer, the adapter
 * that makes one a ServerApp: per connection it runs an HTTP/1 session and
 * loops read request -> app -> finish -> next request while the connection is
 * kept alive and the server is not shutting down.
 */
import type { TLSSocket } from 'node:tls';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import type { Stream } from '../l4/stream.ts';
import type { HttpServerSession } from '../protocols/http/server-session.ts';
import {
  type H1ServerOptions,
  type ResolvedH1ServerOptions,
  resolveH1ServerOptions,
} from '../protocols/http/v1/server-options.ts';
import { H1ServerSession } from '../protocols/http/v1/server-session.ts';
import { peekPreface } from '../protocols/http/v2/h2c-preface.ts';
import { serveH2Connection } from '../protocols/http/v2/server-connection.ts';
import {
  type H2ServerOptions,
  type ResolvedH2ServerOptions,
  resolveH2ServerOptions,
} from '../protocols/http/v2/server-options.ts';
import type { H2ServerSession } from '../protocols/http/v2/server-session.ts';
import type { ConnectionDone, ServerApp } from './server-app.ts';

export interface HttpServerApp {
  /**
   * Serves the request whose head `session.requestHeader` holds: read its
   * body if needed, write a response and finish it. A response left
   * unfinished is finished for you; none at all becomes a 500, as does a
   * rejection before a response head was written (after one, the connection
   * is closed). `shutdown` aborts when the server starts a graceful
   * shutdown; the connection is then not kept alive.
   */
  processNewHttp(session: HttpServerSession, shutdown: AbortSignal): Promise<void> | void;
  /**
   * processNewHttp told through `done` instead of a promise (HTTP/1
   * connections use it when present, so an app that finishes later costs no
   * promise per request): exactly one of `done.appDone()` or
   * `done.appFailed(err)`, possibly before this returns. Same contract otherwise.
   */
  serveHttp?(session: HttpServerSession, shutdown: AbortSignal, done: HttpAppDone): void;
  /** Called once when the service stops. */
  cleanup?(): Promise<void> | void;
}

/** Where serveHttp tells that the request is done (one object per connection). */
export interface HttpAppDone {
  /** The app is done with the request (processNewHttp's promise resolved). */
  appDone(): void;
  /** The app failed (processNewHttp's promise rejected). */
  appFailed(err: unknown): void;
}

export interface HttpServerOptions {
  /** HTTP/1 limits and timeouts of every connection. */
  readonly h1?: H1ServerOptions;
  /** HTTP/2 limits and timeouts (streams, header lists, resets, memory, windows). */
  readonly h2?: H2ServerOptions;
  /**
   * Serve h2c (HTTP/2 with prior knowledge) on plaintext connections whose
   * first bytes are the HTTP/2 preface; HTTP/1 is still served. Default false.
   * TLS connections choose HTTP/2 by ALPN whatever this says.
   */
  readonly h2c?: boolean;
  /** Where failures of the app and refused requests are logged (debug for client faults). */
  readonly logger?: Logger;
}

/** A session the server can finish: an HTTP/1 connection or an HTTP/2 stream. */
type ServedSession = HttpServerSession & { readonly responseFinished: boolean };

export class HttpServer implements ServerApp {
  readonly app: HttpServerApp;
  readonly h1Options: ResolvedH1ServerOptions;
  readonly h2Options: ResolvedH2ServerOptions;
  /** Whether plaintext connections are checked for the h2c preface. */
  readonly h2c: boolean;
  readonly #logger: Logger | undefined;

  constructor(app: HttpServerApp, options: HttpServerOptions = {}) {
    this.app = app;
    this.h1Options = resolveH1ServerOptions(options.h1);
    this.h2Options = resolveH2ServerOptions(options.h2);
    this.h2c = options.h2c ?? false;
    this.#logger = options.logger;
  }

  /** @internal where the connection loop logs refused requests. */
  get logger(): Logger | undefined {
    return this.#logger;
  }

  processNewConnection(stream: Stream, shutdown: AbortSignal): Promise<void> {
    const socket = stream.socket;
    const tls = stream.digest.tls;
    // A TLS listener's digest says what ALPN chose; a bare TLS socket says it itself.
    const alpn = tls !== undefined ? tls.alpn : (socket as Partial<TLSSocket>).alpnProtocol;
    if (alpn === 'h2') return this.#serveH2(stream, shutdown);
    // h2c is for plaintext only (Pingora forces it off on TLS).
    const encrypted = tls !== undefined || (socket as Partial<TLSSocket>).encrypted === true;
    if (!this.h2c || encrypted) return this.#serveH1(stream, shutdown);
    if (shutdown.aborted) return Promise.resolve();
    return peekPreface(socket, this.h2Options.headerTimeoutMs, shutdown).then((verdict) => {
      if (verdict === 'h2') return this.#serveH2(stream, shutdown);
      if (verdict === 'none') return undefined;
      const served = this.#serveH1(stream, shutdown);
      socket.resume();
      return served;
    });
  }

  #serveH1(stream: Stream, shutdown: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = { connectionDone: () => resolve() };
      new ConnectionLoop(this, new H1ServerSession(stream, this.h1Options), shutdown, done).next();
    });
  }

  /**
   * processNewConnection told through `done`: an HTTP/1 connection (not
   * TLS-negotiated h2, no h2c check) holds no promise while it lives.
   */
  serveConnection(stream: Stream, shutdown: AbortSignal, done: ConnectionDone): void {
    const socket = stream.socket;
    const tls = stream.digest.tls;
    const alpn = tls !== undefined ? tls.alpn : (socket as Partial<TLSSocket>).alpnProtocol;
    if (alpn !== 'h2' && !this.h2c) {
      new ConnectionLoop(this, new H1ServerSession(stream, this.h1Options), shutdown, done).next();
      return;
    }
    this.processNewConnection(stream, shutdown).then(
      () => done.connectionDone(),
      (err: unknown) => done.connectionDone(err),
    );
  }

  #serveH2(stream: Stream, shutdown: AbortSignal): Promise<void> {
    return serveH2Connection(stream.socket, stream.digest, this, this.h2Options, shutdown);
  }

  /** @internal runs the app for one HTTP/2 stream (see serveH2Connection). */
  serveStream(session: H2ServerSession, shutdown: AbortSignal): boolean | Promise<boolean> {
    return this.serve(session, shutdown);
  }

  cleanup(): Promise<void> | void {
    return this.app.cleanup?.();
  }

  /** @internal Runs the app for one request; false when the connection must not serve another. */
  serve(session: ServedSession, shutdown: AbortSignal): boolean | Promise<boolean> {
    let pending: Promise<void> | void;
    try {
      pending = this.app.processNewHttp(session, shutdown);
    } catch (err) {
      return this.#appFailed(session, err);
    }
    if (pending === undefined) return this.#finish(session);
    return pending.then(
      () => this.#finish(session),
      (err: unknown) => this.#appFailed(session, err),
    );
  }

  /** @internal after serveHttp's appDone: finishes the response; false when the connection must close. */
  served(session: ServedSession): boolean | Promise<boolean> {
    return this.#finish(session);
  }

  /** @internal after serveHttp's appFailed: answers or closes; always false. */
  failed(session: ServedSession, err: unknown): Promise<boolean> {
    return this.#appFailed(session, err);
  }

  /** After the app returned: finishes its response; false when the connection must close. */
  #finish(session: ServedSession): boolean | Promise<boolean> {
    if (session.closed) return false;
    if (session.responseWritten === undefined) {
      return this.#responseFailed(
        session,
        PingoraError.explain(ErrorType.InternalError, 'the HTTP app wrote no response'),
      );
    }
    // Usually finished already by the app: no promise, no microtask hop.
    if (session.responseFinished) return true;
    try {
      return session.finishResponse().then(
        () => true,
        (err: unknown) => this.#responseFailed(session, err),
      );
    } catch (err) {
      return this.#responseFailed(session, err);
    }
  }

  async #appFailed(session: ServedSession, err: unknown): Promise<boolean> {
    const error = toPingoraError(err);
    // pino's err serializer: type, message, stack and the error's kind, source and context.
    const fields = { err: error, request: session.requestSummary() };
    // A client that went away is not a failure of the app: no error line per abort.
    if (clientWentAway(error)) this.#logger?.debug(fields, 'client went away');
    else this.#logger?.error(fields, 'HTTP app failed');
    if (session.closed) return false;
    if (session.responseWritten === undefined) {
      session.setKeepalive(null);
      await session.respondError(statusForError(error)).catch(() => {});
    } else {
      session.destroy();
    }
    return false;
  }

  async #responseFailed(session: ServedSession, err: unknown): Promise<boolean> {
    const fields = { err: toPingoraError(err), request: session.requestSummary() };
    if (clientWentAway(toPingoraError(err))) this.#logger?.debug(fields, 'client went away');
    else this.#logger?.error(fields, 'HTTP response failed');
    if (!session.closed && session.responseWritten === undefined) {
      session.setKeepalive(null);
      await session.respondError(500).catch(() => {});
    }
    return false;
  }
}

/** The client closed or reset its connection: an IO failure on the downstream side. */
function clientWentAway(error: PingoraError): boolean {
  const t = error.type;
  return (
    error.source === ErrorSource.Downstream &&
    (t === ErrorType.ConnectionClosed ||
      t === ErrorType.ReadError ||
      t === ErrorType.WriteError ||
      t === ErrorType.SocketError)
  );
}

/**
 * One connection's request loop: next head -> app -> next head, driven by
 * callbacks, so a synchronous app costs no promise or microtask per request.
 */
class ConnectionLoop implements HttpAppDone {
  readonly #server: HttpServer;
  readonly #session: H1ServerSession;
  readonly #shutdown: AbortSignal;
  readonly #done: ConnectionDone;
  #finished = false;

  constructor(
    server: HttpServer,
    session: H1ServerSession,
    shutdown: AbortSignal,
    done: ConnectionDone,
  ) {
    this.#server = server;
    this.#session = session;
    this.#shutdown = shutdown;
    this.#done = done;
    watchShutdown(shutdown, this);
  }

  /** The server is shutting down: an idle connection closes now. */
  closeIfIdle(): void {
    this.#session.closeIfIdle();
  }

  next(): void {
    this.#session.nextRequest(this.#onRequest);
  }

  readonly #onRequest = (error: PingoraError | null, req: unknown): void => {
    if (error !== null) {
      // Already answered (400, 408, 431, ...) and closed by the session.
      this.#server.logger?.debug({ err: error }, 'refused request');
      this.#finish();
      return;
    }
    if (req === null) {
      this.#finish();
      return;
    }
    const session = this.#session;
    try {
      if (this.#shutdown.aborted) session.setKeepalive(null);
      const app = this.#server.app;
      if (app.serveHttp !== undefined) {
        this.#serving = true;
        try {
          app.serveHttp(session, this.#shutdown, this);
        } catch (err) {
          this.appFailed(err);
        }
        return;
      }
      const served = this.#server.serve(session, this.#shutdown);
      if (typeof served === 'boolean') this.#afterServe(served);
      else served.then(this.#afterServeCb, this.#onFaultCb);
    } catch (err) {
      this.#onFault(err);
    }
  };

  // Made on first need (an app that settles with a promise): an idle
  // connection of a callback app holds no closure for them.
  #afterServeFn: ((ok: boolean) => void) | undefined;
  #onFaultFn: ((err: unknown) => void) | undefined;

  get #afterServeCb(): (ok: boolean) => void {
    this.#afterServeFn ??= (ok) => this.#afterServe(ok);
    return this.#afterServeFn;
  }

  get #onFaultCb(): (err: unknown) => void {
    this.#onFaultFn ??= (err) => this.#onFault(err);
    return this.#onFaultFn;
  }

  /** serveHttp's request is being served (its done not yet told). */
  #serving = false;

  appDone(): void {
    if (!this.#serving) return;
    this.#serving = false;
    try {
      const served = this.#server.served(this.#session);
      if (typeof served === 'boolean') this.#afterServe(served);
      else served.then(this.#afterServeCb, this.#onFaultCb);
    } catch (err) {
      this.#onFault(err);
    }
  }

  appFailed(err: unknown): void {
    if (!this.#serving) return;
    this.#serving = false;
    this.#server.failed(this.#session, err).then(this.#afterServeCb, this.#onFaultCb);
  }

  #afterServe(ok: boolean): void {
    const session = this.#session;
    if (!ok || !session.keepalive || session.closed || this.#shutdown.aborted) {
      this.#finish();
      return;
    }
    try {
      this.next();
    } catch (err) {
      this.#onFault(err);
    }
  }

  /** A fault of the loop itself (serve handles the app's): the connection cannot go on. */
  #onFault(err: unknown): void {
    this.#server.logger?.error({ err }, 'HTTP connection failed');
    this.#session.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    unwatchShutdown(this.#shutdown, this);
    this.#done.connectionDone();
  }
}

/**
 * The connection loops each shutdown signal closes when it aborts: one
 * listener per signal, not one (and its closure) per connection.
 */
const shutdownWatch = new WeakMap<AbortSignal, Set<ConnectionLoop>>();

function watchShutdown(signal: AbortSignal, loop: ConnectionLoop): void {
  let loops = shutdownWatch.get(signal);
  if (loops === undefined) {
    const set = new Set<ConnectionLoop>();
    loops = set;
    shutdownWatch.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        shutdownWatch.delete(signal);
        for (const l of set) l.closeIfIdle();
      },
      { once: true },
    );
  }
  loops.add(loop);
}

function unwatchShutdown(signal: AbortSignal, loop: ConnectionLoop): void {
  shutdownWatch.get(signal)?.delete(loop);
}

/**
 * The status to answer a failed request with: the one an HTTPStatus error
 * carries, 400 for a malformed request body, 408 for a client too slow to
 * send it, 500 for anything else.
 */
export function statusForError(error: PingoraError): number {
  if (error.type === ErrorType.HTTPStatus && error.status !== undefined) return error.status;
  if (error.source === ErrorSource.Downstream) {
    if (error.type === ErrorType.InvalidHTTPHeader || error.type === ErrorType.H1Error) return 400;
    if (error.type === ErrorType.ReadTimedout) return 408;
  }
  return 500;
}
