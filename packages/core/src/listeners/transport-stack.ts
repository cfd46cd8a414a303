/**
 * TransportStack: the accept side of one endpoint (Pingora's TransportStack):
 * binds the TCP or Unix listener with its socket options, consults the
 * ConnectionFilter while the socket is still paused, runs the TLS handshake
 * on TLS endpoints (after the filter, so a denied peer gets no handshake
 * byte), and hands each admitted connection on as a Stream whose digest
 * carries the TLS outcome (ALPN included, for picking HTTP/1 or HTTP/2).
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import { type SocketAddr, socketAddrOf } from '../l4/socket-addr.ts';
import { Stream } from '../l4/stream.ts';
import type { TlsDigest } from '../protocols/tls/digest.ts';
import type { ConnectionFilter } from './connection-filter.ts';
import {
  connectionDeniedChannel,
  tlsHandshakeChannel,
  tlsHandshakeFailedChannel,
} from './diagnostics.ts';
import { DEFAULT_BACKLOG, type Endpoint, endpointName } from './endpoint.ts';
import { type TlsAcceptCallbacks, type TlsAcceptor, TlsFailureReason } from './tls-acceptor.ts';
import { DEFAULT_TLS_MAX_HANDSHAKES } from './tls-settings.ts';

/** A filter that has not answered by then denies the connection. */
export const FILTER_TIMEOUT_MS = 10_000;

/** Receives the admitted connections of a stack. */
export interface StreamHandler {
  onStream(stream: Stream, stack: TransportStack): void;
}

export class TransportStack {
  readonly endpoint: Endpoint;
  /** `127.0.0.1:80` or `unix:/path`, for logs. */
  readonly name: string;
  readonly #service: string;
  readonly #filter: ConnectionFilter | undefined;
  readonly #handler: StreamHandler;
  readonly #logger: Logger;
  readonly #tls: TlsAcceptor | undefined;
  /** Sockets in their TLS handshake: not handed on yet, destroyed by close(). */
  readonly #handshaking = new Set<Socket>();
  #server: Server | undefined;
  #address: SocketAddr | undefined;
  #closed = false;

  constructor(
    service: string,
    endpoint: Endpoint,
    filter: ConnectionFilter | undefined,
    handler: StreamHandler,
    logger: Logger,
    tls?: TlsAcceptor,
  ) {
    this.endpoint = endpoint;
    this.#tls = tls;
    this.name = endpointName(endpoint);
    this.#service = service;
    this.#filter = filter;
    this.#handler = handler;
    this.#logger = logger;
  }

  /** The bound address (the real port when 0 was asked), once listening. */
  get address(): SocketAddr | undefined {
    return this.#address;
  }

  /** Binds and starts accepting. Rejects with a BindError naming the endpoint. */
  async listen(): Promise<SocketAddr> {
    if (this.#server !== undefined)
      throw PingoraError.explain(ErrorType.BindError, `${this.name} is already listening`);
    const ep = this.endpoint;
    const tcp = ep.kind === 'tcp' ? ep.options : undefined;
    const keepAlive = tcp?.keepAlive;
    const server = createServer({
      // Paused until the filter has decided: a denied peer gets no byte read.
      pauseOnConnect: true,
      noDelay: tcp !== undefined && tcp.noDelay !== false,
      keepAlive: keepAlive !== undefined && keepAlive !== false,
      keepAliveInitialDelay: typeof keepAlive === 'object' ? keepAlive.initialDelayMs : 0,
    });
    this.#server = server;
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
    if (ep.kind === 'uds') removeStaleSocket(ep.path);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        this.#server = undefined;
        reject(toPingoraError(err, { phase: 'bind', context: `cannot listen on ${this.name}` }));
      };
      server.once('error', onError);
      server.once('listening', () => {
        server.off('error', onError);
        resolve();
      });
      if (ep.kind === 'tcp') {
        server.listen({
          host: ep.host,
          port: ep.port,
          backlog: ep.options.backlog ?? DEFAULT_BACKLOG,
          ipv6Only: ep.options.ipv6Only === true,
          reusePort: ep.options.reusePort === true,
        });
      } else {
        server.listen({ path: ep.path, backlog: ep.options.backlog ?? DEFAULT_BACKLOG });
      }
    });
    // Errors after listening (EMFILE on accept, ...) are logged; the listener keeps going.
    server.on('error', (err) => this.#logger.error({ err, endpoint: this.name }, 'accept failed'));
    if (ep.kind === 'uds') {
      try {
        chmodSync(ep.path, ep.options.mode ?? 0o666);
      } catch (err) {
        server.close();
        this.#server = undefined;
        throw toPingoraError(err, { phase: 'bind', context: `cannot set the mode of ${ep.path}` });
      }
      this.#address = { kind: 'unix', path: ep.path };
    } else {
      const a = server.address();
      this.#address =
        a !== null && typeof a === 'object' ? socketAddrOf(a.address, a.port, a.family) : undefined;
    }
    this.#logger.info({ endpoint: this.name, bound: this.#address }, 'listening');
    return this.#address as SocketAddr;
  }

  /** True for an endpoint that runs TLS before handing connections on. */
  get tls(): boolean {
    return this.#tls !== undefined;
  }

  /** Connections in their TLS handshake now. */
  get handshaking(): number {
    return this.#handshaking.size;
  }

  /** Re-reads the TLS certificate files (no-op on a plaintext endpoint). */
  reloadTls(): Promise<void> {
    return this.#tls === undefined ? Promise.resolve() : this.#tls.reload();
  }

  /**
   * Stops accepting at once (new connections are refused by the kernel) and
   * drops connections still in their TLS handshake; connections already
   * handed on are not touched.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Node's close() releases the listening socket now; its callback would wait for all connections.
    this.#server?.close();
    this.#tls?.close();
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
  }

  #onConnection(socket: Socket): void {
    // Until the app attaches its own handler, an error must not crash the process.
    socket.on('error', ignoreError);
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const filter = this.#filter;
    if (filter === undefined) {
      this.#admit(socket);
      return;
    }
    const peer =
      this.endpoint.kind === 'uds'
        ? undefined
        : socketAddrOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = filter.shouldAccept(peer);
    } catch (err) {
      this.#logger.error({ err, endpoint: this.name }, 'connection filter threw; denying');
      verdict = false;
    }
    if (verdict === true) this.#admit(socket);
    else if (verdict === false) this.#deny(socket, peer);
    else this.#decideLater(socket, peer, verdict);
  }

  #decideLater(socket: Socket, peer: SocketAddr | undefined, verdict: Promise<boolean>): void {
    const timer = setTimeout(() => {
      this.#logger.warn({ endpoint: this.name }, 'connection filter timed out; denying');
      this.#deny(socket, peer);
    }, FILTER_TIMEOUT_MS);
    verdict.then(
      (ok) => {
        clearTimeout(timer);
        if (socket.destroyed) return;
        if (ok === true && !this.#closed) this.#admit(socket);
        else this.#deny(socket, peer);
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.#logger.error({ err, endpoint: this.name }, 'connection filter failed; denying');
        this.#deny(socket, peer);
      },
    );
  }

  #deny(socket: Socket, peer: SocketAddr | undefined): void {
    socket.destroy();
    if (connectionDeniedChannel.hasSubscribers) {
      connectionDeniedChannel.publish({ service: this.#service, endpoint: this.name, peer });
    }
  }

  #admit(socket: Socket): void {
    // pauseOnConnect left the stream in explicit paused mode; back to the initial
    // state so the app's first 'data' listener, pipe() or read() starts the flow.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    if (this.#tls === undefined) this.#handOn(socket, undefined);
    else this.#handshake(socket, this.#tls);
  }

  #handshake(socket: Socket, acceptor: TlsAcceptor): void {
    const peer =
      this.endpoint.kind === 'uds'
        ? undefined
        : socketAddrOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily);
    const started = performance.now();
    const ep = this.endpoint;
    const max =
      (ep.kind === 'tcp' ? ep.tls?.maxHandshakes : undefined) ?? DEFAULT_TLS_MAX_HANDSHAKES;
    if (this.#handshaking.size >= max) {
      socket.destroy();
      this.#publishFailure(peer, TlsFailureReason.Overload, started, overloaded(this.name, max));
      return;
    }
    this.#handshaking.add(socket);
    const callbacks: TlsAcceptCallbacks = {
      onSecure: (tlsSocket, digest) => {
        this.#handshaking.delete(socket);
        if (tlsHandshakeChannel.hasSubscribers) {
          tlsHandshakeChannel.publish({
            service: this.#service,
            endpoint: this.name,
            peer,
            version: digest.version,
            alpn: digest.alpn,
            resumed: digest.resumed,
            durationMs: digest.handshakeMs,
          });
        }
        if (this.#closed) {
          tlsSocket.destroy();
          return;
        }
        tlsSocket.on('error', ignoreError);
        this.#handOn(tlsSocket, digest);
      },
      onFailed: (error: PingoraError, reason: TlsFailureReason) => {
        this.#handshaking.delete(socket);
        socket.destroy();
        this.#logger.debug(
          { err: error, reason, endpoint: this.name, peer },
          'TLS handshake failed',
        );
        this.#publishFailure(peer, reason, started, error);
      },
    };
    acceptor.accept(socket, peer, callbacks);
  }

  #publishFailure(
    peer: SocketAddr | undefined,
    reason: TlsFailureReason,
    started: number,
    error: Error,
  ): void {
    if (!tlsHandshakeFailedChannel.hasSubscribers) return;
    tlsHandshakeFailedChannel.publish({
      service: this.#service,
      endpoint: this.name,
      peer,
      reason,
      durationMs: performance.now() - started,
      error,
    });
  }

  /** The connection is ready for the app (after TLS when the endpoint has it). */
  #handOn(socket: Socket, tls: TlsDigest | undefined): void {
    const stream = new Stream(
      socket,
      this.endpoint.kind === 'uds' ? this.endpoint.path : undefined,
      tls,
    );
    this.#handler.onStream(stream, this);
  }
}

function ignoreError(): void {}

function overloaded(endpoint: string, max: number): PingoraError {
  return new PingoraError(ErrorType.AcceptError, {
    source: ErrorSource.Downstream,
    context: `${endpoint}: ${max} TLS handshakes in flight (maxHandshakes); connection refused`,
  });
}

/** A socket file left by a crashed process blocks bind(); other file kinds are left alone. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Missing is the normal case; anything else surfaces as the bind error.
  }
}
