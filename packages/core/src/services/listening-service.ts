/**
 * ListeningService (Pingora's listening Service<A>): binds one or more
 * endpoints, plain or TLS, and hands every admitted connection to a
 * ServerApp; SIGHUP (`reload`) re-reads TLS certificates. It counts the
 * connections in flight; on shutdown it stops accepting at once, aborts the
 * signal the app got, waits for the connections to finish, and when the grace
 * time is over destroys what is left.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import type { ConnectionDone, ServerApp } from '../apps/server-app.ts';
import { parseSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';
import type { Stream } from '../l4/stream.ts';
import type { ConnectionFilter } from '../listeners/connection-filter.ts';
import {
  type ConnectionClosedEvent,
  connectionAcceptedChannel,
  connectionClosedChannel,
} from '../listeners/diagnostics.ts';
import {
  type Endpoint,
  endpointName,
  type TcpSocketOptions,
  tcpEndpoint,
  type UdsSocketOptions,
  udsEndpoint,
} from '../listeners/endpoint.ts';
import { threadRouting } from '../listeners/thread-routing.ts';
import { noTlsBackend, type TlsBackend } from '../listeners/tls-acceptor.ts';
import { checkTlsSettings, type TlsSettings, tlsSettings } from '../listeners/tls-settings.ts';
import { type StreamHandler, TransportStack } from '../listeners/transport-stack.ts';
import type { Service, ServiceContext } from './service.ts';

export interface ListeningServiceOptions {
  /** Consulted before anything is read from a new connection. */
  connectionFilter?: ConnectionFilter;
  /** Connections served at once; more are closed at accept (default 100000). */
  maxConnections?: number;
  /**
   * After the app is done with a connection its socket is ended (pending
   * writes flushed); a peer that has not closed by then is destroyed (ms, default 5000).
   */
  lingerMs?: number;
  /**
   * The TLS backend of TLS endpoints (`opensslTlsBackend` from `@pingora-ts/tls-openssl`);
   * required for addTls/addTlsWithSettings. httpProxyService passes it.
   */
  tlsBackend?: TlsBackend;
}

/** How long cleanup() and the post-terminate settling may take. */
const SETTLE_MS = 2_000;

let finishConnection: (service: ListeningService, conn: Connection, err: unknown) => void;

/** An admitted connection; the app tells it when it is done (serveConnection). */
class Connection implements ConnectionDone {
  readonly stream: Stream;
  readonly endpoint: string;
  readonly #service: ListeningService;
  #done = false;

  constructor(service: ListeningService, stream: Stream, endpoint: string) {
    this.#service = service;
    this.stream = stream;
    this.endpoint = endpoint;
  }

  connectionDone(err?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    finishConnection(this.#service, this, err);
  }
}

export class ListeningService<A extends ServerApp = ServerApp> implements Service, StreamHandler {
  readonly name: string;
  readonly app: A;
  readonly #endpoints: Endpoint[] = [];
  readonly #stacks: TransportStack[] = [];
  readonly #connections = new Set<Connection>();
  readonly #connectionShutdown = new AbortController();
  readonly #maxConnections: number;
  readonly #lingerMs: number;
  #filter: ConnectionFilter | undefined;
  readonly #tlsBackend: TlsBackend | undefined;
  #logger: Logger | undefined;
  #started = false;
  #idle: (() => void) | undefined;
  #refused = 0;
  readonly #listening: PromiseWithResolvers<SocketAddr[]> = Promise.withResolvers();

  constructor(name: string, app: A, options: ListeningServiceOptions = {}) {
    this.name = name;
    this.app = app;
    this.#filter = options.connectionFilter;
    this.#tlsBackend = options.tlsBackend;
    this.#maxConnections = positiveInteger(
      options.maxConnections ?? 100_000,
      'maxConnections',
      name,
    );
    this.#lingerMs = positiveInteger(options.lingerMs ?? 5_000, 'lingerMs', name);
    // Nobody may be waiting on it when startup fails; the failure is reported by start().
    this.#listening.promise.catch(() => {});
  }

  /** Adds a TCP endpoint: `127.0.0.1:8080`, `[::]:443` (port 0 picks a free port). */
  addTcp(addr: string, options?: TcpSocketOptions): this {
    this.#assertNotStarted();
    this.#endpoints.push(tcpEndpoint(addr, options));
    return this;
  }

  /** Adds a Unix socket endpoint; a stale socket file at `path` is replaced. */
  addUds(path: string, options?: UdsSocketOptions): this {
    this.#assertNotStarted();
    this.#endpoints.push(udsEndpoint(path, options));
    return this;
  }

  /**
   * Adds a TLS endpoint with Pingora's intermediate settings (TLS 1.2
   * minimum) and the certificate and key from these PEM files, watched and
   * reloaded when they change (Pingora's add_tls).
   */
  addTls(addr: string, certPath: string, keyPath: string): this {
    return this.addTlsWithSettings(addr, tlsSettings(certPath, keyPath));
  }

  /** Adds a TLS endpoint with the given TLS and socket settings (Pingora's add_tls_with_settings). */
  addTlsWithSettings(addr: string, settings: TlsSettings, options?: TcpSocketOptions): this {
    this.#assertNotStarted();
    checkTlsSettings(settings);
    if (this.#tlsBackend === undefined) throw noTlsBackend(this.name);
    this.#endpoints.push(tcpEndpoint(addr, options, settings));
    return this;
  }

  /**
   * Adds `ip:port`, `[ipv6]:port` (TCP) or `unix:/path` (Unix socket) with
   * default socket options (Pingora's add_address), e.g. straight from a
   * `configField.addressList()` setting.
   */
  addAddress(addr: string): this {
    const parsed = parseSocketAddr(addr);
    return parsed.kind === 'unix' ? this.addUds(parsed.path) : this.addTcp(addr);
  }

  setConnectionFilter(filter: ConnectionFilter): this {
    this.#assertNotStarted();
    this.#filter = filter;
    return this;
  }

  /** The endpoints as added. */
  /** The backend of this service's TLS endpoints, if it was given one (to build a twin service). */
  get tlsBackend(): TlsBackend | undefined {
    return this.#tlsBackend;
  }

  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  /** The bound addresses, in the order the endpoints were added (empty until listening). */
  boundAddresses(): SocketAddr[] {
    return this.#stacks.flatMap((s) => (s.address === undefined ? [] : [s.address]));
  }

  /** Resolves with the bound addresses once every endpoint listens; rejects if binding fails. */
  get listening(): Promise<SocketAddr[]> {
    return this.#listening.promise;
  }

  /** Connections being served now. */
  get connectionsInFlight(): number {
    return this.#connections.size;
  }

  /** Connections in their TLS handshake now (not yet handed to the app). */
  get tlsHandshakesInFlight(): number {
    let n = 0;
    for (const s of this.#stacks) n += s.handshaking;
    return n;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.#assertNotStarted();
    this.#started = true;
    const logger = ctx.logger;
    this.#logger = logger;
    if (this.#endpoints.length === 0) logger.warn('listening service has no endpoints');
    try {
      const fedByMain = threadRouting.thread !== undefined && !threadRouting.thread.ownListeners;
      for (const ep of this.#endpoints) {
        const stack = this.#stackFor(ep, logger);
        this.#stacks.push(stack);
        if (fedByMain) stack.receiveFromMain();
        else await stack.listen();
        if (ctx.shutdown.aborted) break;
      }
    } catch (err) {
      for (const s of this.#stacks) s.close();
      this.#listening.reject(err);
      throw err;
    }
    this.#listening.resolve(this.boundAddresses());
    ctx.ready();

    await waitForAbort(ctx.shutdown);
    for (const s of this.#stacks) s.close();
    logger.info({ inFlight: this.#connections.size }, 'stopped accepting; draining connections');
    this.#connectionShutdown.abort(ctx.shutdown.reason);

    await this.#drained(ctx.terminate);
    if (this.#connections.size > 0) {
      logger.warn({ left: this.#connections.size }, 'grace time over; closing connections left');
      for (const c of this.#connections) c.stream.destroy();
      await this.#drained(AbortSignal.timeout(SETTLE_MS));
    }
    if (this.#refused > 0)
      logger.warn({ refused: this.#refused }, 'connections refused over maxConnections');
    if (this.app.cleanup !== undefined) {
      await withTimeout(
        Promise.resolve().then(() => this.app.cleanup?.()),
        SETTLE_MS,
      ).catch((err: unknown) => logger.error({ err }, 'app cleanup failed'));
    }
    logger.info('service stopped');
  }

  /**
   * Re-reads the certificate files of every TLS endpoint (the server calls
   * it on SIGHUP). New handshakes use the new certificates, open connections
   * keep theirs; an endpoint whose files do not load keeps its old ones, and
   * the returned promise rejects with that endpoint's error.
   */
  async reload(): Promise<void> {
    const results = await Promise.allSettled(this.#stacks.map((s) => s.reloadTls()));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const reloaded = this.#stacks.filter((s) => s.tls).length;
    if (failed.length > 0) {
      for (const err of failed)
        this.#logger?.error({ err }, 'TLS reload failed; the old certificate stays in use');
      throw failed[0];
    }
    if (reloaded > 0) this.#logger?.info({ endpoints: reloaded }, 'TLS certificates reloaded');
  }

  #stackFor(ep: Endpoint, logger: Logger): TransportStack {
    const settings = ep.kind === 'tcp' ? ep.tls : undefined;
    if (settings === undefined)
      return new TransportStack(this.name, ep, this.#filter, this, logger);
    const backend = this.#tlsBackend;
    if (backend === undefined) throw noTlsBackend(this.name);
    const name = endpointName(ep);
    const acceptor = backend.createAcceptor(settings, {
      service: this.name,
      endpoint: name,
      logger: logger.child({ endpoint: name, tls: backend.name }),
    });
    return new TransportStack(this.name, ep, this.#filter, this, logger, acceptor);
  }

  /** Called by a TransportStack for each admitted connection. */
  onStream(stream: Stream, stack: TransportStack): void {
    const signal = this.#connectionShutdown.signal;
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    if (this.#connections.size >= this.#maxConnections) {
      // Warn on the first refusal and then every 1000th, not on each one of a flood.
      if (this.#refused++ % 1000 === 0) {
        this.#logger?.warn(
          { max: this.#maxConnections, refused: this.#refused },
          'maxConnections reached; closing new connections',
        );
      }
      stream.destroy();
      return;
    }
    const conn = new Connection(this, stream, stack.name);
    this.#connections.add(conn);
    const peer = stream.digest.peerAddr;
    if (connectionAcceptedChannel.hasSubscribers) {
      connectionAcceptedChannel.publish({ service: this.name, endpoint: stack.name, peer });
    }
    const app = this.app;
    if (app.serveConnection !== undefined) {
      try {
        app.serveConnection(stream, signal, conn);
      } catch (err) {
        conn.connectionDone(err);
      }
      return;
    }
    let result: Promise<void> | void;
    try {
      result = app.processNewConnection(stream, signal);
    } catch (err) {
      this.#finish(conn, err);
      return;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') {
      this.#finish(conn, undefined);
      return;
    }
    (result as Promise<void>).then(
      () => this.#finish(conn, undefined),
      (err: unknown) => this.#finish(conn, err),
    );
  }

  static {
    finishConnection = (service, conn, err) => service.#finish(conn, err);
  }

  /** The app is done: flush and close the socket, bounded by the linger time. */
  #finish(conn: Connection, err: unknown): void {
    if (err !== undefined) {
      // A peer going away mid-request is routine, not an error of ours.
      const routine = PingoraError.is(err) && err.type === ErrorType.ConnectionClosed;
      if (routine)
        this.#logger?.debug({ err, endpoint: conn.endpoint }, 'connection closed by peer');
      else this.#logger?.error({ err, endpoint: conn.endpoint }, 'connection failed');
    }
    const socket = conn.stream.socket;
    if (socket.destroyed || err !== undefined) {
      conn.stream.destroy();
      this.#closed(conn);
      return;
    }
    socket.once('close', () => this.#closed(conn));
    if (!socket.writableEnded) socket.end();
    // A peer that neither reads nor closes must not keep the socket forever.
    const timer = setTimeout(() => socket.destroy(), this.#lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // Drain what the peer still sends so its FIN (and our close) can arrive.
    socket.resume();
  }

  #closed(conn: Connection): void {
    if (!this.#connections.delete(conn)) return;
    if (connectionClosedChannel.hasSubscribers) {
      const event: ConnectionClosedEvent = {
        service: this.name,
        endpoint: conn.endpoint,
        peer: conn.stream.digest.peerAddr,
        durationMs: Date.now() - conn.stream.digest.establishedAt,
      };
      connectionClosedChannel.publish(event);
    }
    if (this.#connections.size === 0) this.#idle?.();
  }

  /** Resolves when no connection is left or `signal` aborts, whichever is first. */
  async #drained(signal: AbortSignal): Promise<void> {
    if (this.#connections.size === 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#idle = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#idle = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #assertNotStarted(): void {
    if (this.#started) {
      throw alreadyStarted(this.name);
    }
  }
}

function alreadyStarted(name: string): PingoraError {
  return PingoraError.explain(
    ErrorType.InternalError,
    `listening service "${name}" has already started; add endpoints before the server runs`,
  );
}

function positiveInteger(value: number, option: string, service: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `listening service "${service}": ${option} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
