/**
 * One downstream HTTP/2 connection (Pingora's h2 accept loop in apps/mod.rs):
 * the server handshake with our limits, one H2ServerSession per stream run
 * through the HTTP app, and graceful shutdown (GOAWAY, open streams finish,
 * then close). Streams are started once per read batch, so a stream the
 * client reset in the same read never reaches the app or an upstream.
 */

import {
  constants,
  type IncomingHttpHeaders,
  performServerHandshake,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { toPingoraError } from '@pingora-ts/error';
import type { StreamDigest } from '../../../l4/stream.ts';
import { publishH2 } from './h2-events.ts';
import { requestFromH2 } from './h2-fields.ts';
import type { ResolvedH2ServerOptions } from './server-options.ts';
import { H2ServerSession } from './server-session.ts';

/** What the connection needs from the HTTP server that owns it. */
export interface H2StreamServer {
  /** Runs the app for one stream's request; settles when its response is done. */
  serveStream(session: H2ServerSession, shutdown: AbortSignal): unknown;
  /** Where refused streams and connection errors are logged. */
  readonly logger: { debug(obj: object, msg: string): void } | undefined;
}

/** The node:http2 options of our limits. */
export function h2ServerSettings(o: ResolvedH2ServerOptions) {
  return {
    settings: {
      maxConcurrentStreams: o.maxConcurrentStreams,
      maxHeaderListSize: o.maxHeaderListSize,
      initialWindowSize: o.initialWindowSize,
      enablePush: false,
    },
    // Node counts the pseudo-headers among the pairs.
    maxHeaderListPairs: o.maxHeaderListPairs + 4,
    maxSessionInvalidFrames: o.maxInvalidFrames,
    maxSessionRejectedStreams: o.maxRejectedStreams,
    maxSessionMemory: o.maxSessionMemoryMb,
    streamResetBurst: o.streamResetBurst,
    streamResetRate: o.streamResetRate,
    maxOutstandingPings: 10,
    maxSettings: 32,
  };
}

/** Serves HTTP/2 on `socket` until the connection closes. */
export function serveH2Connection(
  socket: Socket,
  digest: StreamDigest,
  server: H2StreamServer,
  options: ResolvedH2ServerOptions,
  shutdown: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    new H2ServerConnection(socket, digest, server, options, shutdown, resolve);
  });
}

class H2ServerConnection {
  readonly #session: ServerHttp2Session;
  readonly #digest: StreamDigest;
  readonly #server: H2StreamServer;
  readonly #options: ResolvedH2ServerOptions;
  readonly #shutdown: AbortSignal;
  readonly #done: () => void;
  #pending: Array<[ServerHttp2Stream, string[]]> = [];
  #scheduled = false;
  #active = 0;

  constructor(
    socket: Socket,
    digest: StreamDigest,
    server: H2StreamServer,
    options: ResolvedH2ServerOptions,
    shutdown: AbortSignal,
    done: () => void,
  ) {
    this.#digest = digest;
    this.#server = server;
    this.#options = options;
    this.#shutdown = shutdown;
    this.#done = done;
    const session = performServerHandshake(socket, h2ServerSettings(options));
    this.#session = session;
    session.on('stream', this.#onStream);
    session.on('error', (err: Error & { code?: string }) => {
      server.logger?.debug({ err: String(toPingoraError(err)) }, 'h2 connection failed');
      publishH2('sessionError', { code: err.code ?? 'ERR_HTTP2', digest });
    });
    session.on('goaway', (code: number) => {
      if (code !== constants.NGHTTP2_NO_ERROR) {
        publishH2('sessionError', { code: `GOAWAY_${code}`, digest });
      }
    });
    session.once('close', this.#onClose);
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(options.connectionWindowSize);
      } catch {
        // The connection went away during the handshake.
      }
    });
    if (options.idleTimeoutMs > 0) {
      session.setTimeout(options.idleTimeoutMs, () => {
        // Long-lived streams (gRPC) have their own limits; only an idle connection closes.
        if (this.#active === 0 && this.#pending.length === 0) session.close();
      });
    }
    if (shutdown.aborted) this.#onShutdown();
    else shutdown.addEventListener('abort', this.#onShutdown, { once: true });
  }

  readonly #onStream = (
    stream: ServerHttp2Stream,
    _headers: IncomingHttpHeaders,
    _flags: number,
    rawHeaders: string[],
  ): void => {
    this.#pending.push([stream, rawHeaders]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#dispatch);
    }
  };

  /** Starts the streams of the last read that are still open. */
  readonly #dispatch = (): void => {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (const [stream, raw] of batch) {
      if (stream.closed || stream.destroyed) {
        publishH2('streamSkipped', { digest: this.#digest });
        continue;
      }
      let session: H2ServerSession;
      try {
        const req = requestFromH2(raw, !stream.endAfterHeaders);
        session = new H2ServerSession(stream, req, this.#digest, this.#options);
      } catch (err) {
        this.#server.logger?.debug({ err: String(err) }, 'refused h2 request');
        stream.on('error', () => {});
        const status = (err as { status?: unknown }).status;
        if (typeof status === 'number') stream.respond({ ':status': status }, { endStream: true });
        else stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
        continue;
      }
      this.#active++;
      let result: unknown;
      try {
        result = this.#server.serveStream(session, this.#shutdown);
      } catch {
        result = undefined;
      }
      if (result instanceof Promise) result.then(this.#streamDone, this.#streamDone);
      else this.#streamDone();
    }
  };

  readonly #streamDone = (): void => {
    this.#active--;
  };

  readonly #onShutdown = (): void => {
    const session = this.#session;
    if (session.closed || session.destroyed) return;
    // GOAWAY(2^31-1) first as Pingora does: streams in flight are still
    // accepted; close() then sends the final GOAWAY, waits for open streams
    // to finish and ends the connection.
    session.goaway(constants.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
    session.close();
  };

  readonly #onClose = (): void => {
    this.#shutdown.removeEventListener('abort', this.#onShutdown);
    this.#done();
  };
}
