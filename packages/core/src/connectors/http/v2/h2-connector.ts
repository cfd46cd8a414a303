/**
 * H2Connector: upstream HTTP/2 for the HttpConnector (Pingora's
 * connectors/http/v2.rs). Per peer it picks the protocol (ALPN H2, H2H1;
 * h2c prior knowledge for plaintext peers that require h2), opens
 * `http2.connect` over a socket our connector made, and keeps a multiplexed
 * pool: connections with free stream slots are used before new ones are
 * opened (concurrent openers to one peer wait for the same connection), a
 * connection with no open stream waits in the shared idle pool under the
 * peer's idle timeout, and one that got GOAWAY is never reused.
 */
import { connect as h2connect } from 'node:http2';
import type { Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import type { IdleEntry, IdleWatch, PoolDropReason } from '@pingora-ts/pool';
import { ConnectionPool } from '@pingora-ts/pool';
import type { Stream } from '../../../l4/stream.ts';
import type { H2ClientSession } from '../../../protocols/http/v2/client-session.ts';
import type { Peer } from '../../../upstreams/peer.ts';
import { ALPN } from '../../../upstreams/peer-options.ts';
import type { BindToLists } from '../../bind-to.ts';
import { type ConnectorStats, connectorChannels, recordDrop } from '../../connector-events.ts';
import { connectPeer } from '../../peer-connect.ts';
import type { UpstreamTls } from '../../upstream-tls.ts';
import { H2Connection, type H2ConnectionOwner } from './h2-connection.ts';

export interface H2ConnectorOptions {
  /** PING every this many ms on each connection; 0 disables. Default 0 (as Pingora). */
  readonly pingIntervalMs?: number;
  /** A PING unanswered this long closes the connection. Default 5 s. */
  readonly pingTimeoutMs?: number;
  /** Per-stream receive window advertised to peers. Default 8 MiB, as Pingora. */
  readonly streamWindowSize?: number;
  /** Receive window of each connection. Default 8 MiB. */
  readonly connectionWindowSize?: number;
  /** Time for the peer's first SETTINGS after connecting. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
}

/** What connecting produced: an HTTP/2 connection, or a socket that speaks HTTP/1. */
export type H2ConnectResult =
  | { readonly kind: 'h2'; readonly conn: H2Connection }
  | { readonly kind: 'h1'; readonly stream: Stream };

/** Peers remembered as HTTP/1-only (HTTP_1_1_REQUIRED); bounded, oldest forgotten first. */
const PREFER_H1_LIMIT = 4096;

export class H2Connector implements H2ConnectionOwner, IdleWatch<H2Connection> {
  readonly #pool: ConnectionPool<H2Connection>;
  readonly #stats: ConnectorStats;
  readonly #options: Required<H2ConnectorOptions>;
  /** Connections with open streams and maybe free slots, by reuse hash. */
  readonly #inUse = new Map<string, Set<H2Connection>>();
  /** Connects in progress, by reuse hash: concurrent callers share them. */
  readonly #connecting = new Map<string, Promise<H2ConnectResult>>();
  readonly #preferH1 = new Set<string>();
  #idleTimeouts = new WeakMap<H2Connection, number | undefined>();
  /** Idle timeout for peers that set none (the server's upstream idle timeout). */
  readonly #defaultIdleMs: number | undefined;

  constructor(
    poolSize: number,
    stats: ConnectorStats,
    options: H2ConnectorOptions = {},
    defaultIdleMs?: number,
  ) {
    this.#defaultIdleMs = defaultIdleMs;
    this.#pool = new ConnectionPool<H2Connection>({ maxSize: poolSize });
    this.#stats = stats;
    this.#options = {
      pingIntervalMs: options.pingIntervalMs ?? 0,
      pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
      streamWindowSize: options.streamWindowSize ?? 8 * 1024 * 1024,
      connectionWindowSize: options.connectionWindowSize ?? 8 * 1024 * 1024,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    };
  }

  /** Idle HTTP/2 connections pooled now. */
  get idleCount(): number {
    return this.#pool.size;
  }

  /** Open HTTP/2 connections with streams in flight, across peers. */
  get inUseCount(): number {
    let n = 0;
    for (const set of this.#inUse.values()) n += set.size;
    return n;
  }

  /** True when this peer is remembered as HTTP/1-only. */
  prefersH1(peer: Peer): boolean {
    return peer.options.alpn !== ALPN.H2 && this.#preferH1.has(peer.reuseHash());
  }

  /** A stream on an existing connection to `peer` (one with a free slot, else an idle one). */
  reusedStream(peer: Peer, readMs: number, writeMs: number): H2ClientSession | undefined {
    const key = peer.reuseHash();
    const set = this.#inUse.get(key);
    if (set !== undefined) {
      for (const conn of set) {
        if (conn.hasFreeSlot()) return this.#take(conn, peer, readMs, writeMs);
      }
    }
    for (let left = this.#pool.sizeOf(key); left > 0; left--) {
      const conn = this.#pool.get(key);
      if (conn === undefined) break;
      if (!conn.hasFreeSlot()) {
        this.#stats.idleCloses++;
        conn.destroy();
        continue;
      }
      return this.#take(conn, peer, readMs, writeMs);
    }
    return undefined;
  }

  /**
   * Connects to `peer` for HTTP/2, sharing a connect already under way to
   * the same peer. The result is an h2 connection, or (ALPN chose
   * http/1.1, or a plaintext H2H1 peer) a socket for an HTTP/1 session.
   */
  connect(
    peer: Peer,
    bindTo: BindToLists,
    tls: UpstreamTls | undefined,
    connectTimeoutMs?: number,
  ): Promise<H2ConnectResult> {
    const key = peer.reuseHash();
    const pending = this.#connecting.get(key);
    if (pending !== undefined) return pending;
    const p = this.#connect(peer, bindTo, tls, connectTimeoutMs).finally(() =>
      this.#connecting.delete(key),
    );
    this.#connecting.set(key, p);
    return p;
  }

  /** A stream on `conn` (just connected or shared): undefined when it has no free slot. */
  streamOn(
    conn: H2Connection,
    peer: Peer,
    readMs: number,
    writeMs: number,
  ): H2ClientSession | undefined {
    if (!conn.hasFreeSlot()) return undefined;
    return this.#take(conn, peer, readMs, writeMs);
  }

  async #connect(
    peer: Peer,
    bindTo: BindToLists,
    tls: UpstreamTls | undefined,
    connectTimeoutMs: number | undefined,
  ): Promise<H2ConnectResult> {
    const alpn = peer.options.alpn;
    const key = peer.reuseHash();
    if (!peer.tls && alpn !== ALPN.H2) {
      // Plaintext without h2 required: HTTP/1 (no Upgrade: h2c, as Pingora).
      return {
        kind: 'h1',
        stream: await connectPeer(peer, bindTo, tls, ALPN.H1, connectTimeoutMs),
      };
    }
    const offer = alpn === ALPN.H2H1 && this.#preferH1.has(key) ? ALPN.H1 : alpn;
    const stream = await connectPeer(peer, bindTo, tls, offer, connectTimeoutMs);
    const socket = stream.socket;
    if (peer.tls) {
      const negotiated = stream.upstreamTls?.alpn;
      if (negotiated !== 'h2') {
        if (alpn === ALPN.H2) {
          socket.destroy();
          throw PingoraError.create(
            ErrorType.InvalidH2,
            ErrorSource.Upstream,
            `peer requires h2 but ALPN chose ${negotiated ?? 'nothing'}`,
          ).moreContext(`peer: ${peer.toString()}`);
        }
        return { kind: 'h1', stream };
      }
    }
    const conn = await this.#handshake(peer, socket);
    this.#stats.newConnections++;
    if (connectorChannels.new.hasSubscribers) connectorChannels.new.publish({ peer });
    return { kind: 'h2', conn };
  }

  #handshake(peer: Peer, socket: Socket): Promise<H2Connection> {
    const o = this.#options;
    const scheme = peer.tls ? 'https' : 'http';
    const session = h2connect(`${scheme}://localhost`, {
      createConnection: () => socket,
      settings: {
        enablePush: false,
        initialWindowSize: o.streamWindowSize,
        maxFrameSize: 64 * 1024,
      },
      // The peer may open no streams of its own (no push): keep its budget tiny.
      peerMaxConcurrentStreams: 1,
    });
    return new Promise((resolve, reject) => {
      const fail = (err: unknown): void => {
        clearTimeout(timer);
        session.destroy();
        const cause = err instanceof Error ? err : undefined;
        const error = PingoraError.because(
          ErrorType.HandshakeError,
          'HTTP/2 handshake with the upstream failed',
          cause ?? String(err),
        )
          .asUpstream()
          .moreContext(`peer: ${peer.toString()}`);
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`no SETTINGS within ${o.handshakeTimeoutMs} ms`)),
        o.handshakeTimeoutMs,
      );
      session.once('error', fail);
      session.once('close', () => fail(new Error('connection closed during the handshake')));
      session.once('remoteSettings', () => {
        clearTimeout(timer);
        session.off('error', fail);
        session.removeAllListeners('close');
        try {
          session.setLocalWindowSize(o.connectionWindowSize);
        } catch {
          // Closed meanwhile: the first stream will say so.
        }
        resolve(
          new H2Connection(
            session,
            scheme,
            peer.reuseHash(),
            peer.options.maxH2Streams,
            peer.options.alpn === ALPN.H2,
            this,
            o.pingIntervalMs,
            o.pingTimeoutMs,
          ),
        );
      });
    });
  }

  #take(conn: H2Connection, peer: Peer, readMs: number, writeMs: number): H2ClientSession {
    let set = this.#inUse.get(conn.key);
    if (set === undefined) {
      set = new Set();
      this.#inUse.set(conn.key, set);
    }
    const fresh = conn.active === 0 && conn.reuses === 0 && !set.has(conn);
    set.add(conn);
    this.#idleTimeouts.set(conn, peer.options.idleTimeout ?? this.#defaultIdleMs);
    const session = conn.newStream(readMs, writeMs);
    if (!fresh) {
      this.#stats.reusedConnections++;
      if (connectorChannels.reuse.hasSubscribers) connectorChannels.reuse.publish({ peer });
    }
    return session;
  }

  // ---- H2ConnectionOwner ----

  slotFreed(conn: H2Connection): void {
    if (conn.active > 0) return;
    // No stream left: the connection waits in the idle pool.
    this.#removeInUse(conn);
    const idleTimeout = this.#idleTimeouts.get(conn);
    const ok =
      !(idleTimeout !== undefined && idleTimeout < 0) &&
      this.#pool.put(conn.key, conn, { idleTimeoutMs: idleTimeout, watch: this });
    if (!ok) {
      this.#stats.notPooled++;
      conn.destroy();
    }
  }

  retired(conn: H2Connection): void {
    this.#removeInUse(conn);
    conn.entry?.gone('closed');
  }

  downgradeRequired(conn: H2Connection): void {
    if (this.#preferH1.size >= PREFER_H1_LIMIT) {
      const oldest = this.#preferH1.values().next().value;
      if (oldest !== undefined) this.#preferH1.delete(oldest);
    }
    this.#preferH1.add(conn.key);
  }

  #removeInUse(conn: H2Connection): void {
    const set = this.#inUse.get(conn.key);
    if (set === undefined) return;
    set.delete(conn);
    if (set.size === 0) this.#inUse.delete(conn.key);
  }

  // ---- IdleWatch ----

  watch(conn: H2Connection, entry: IdleEntry): void {
    conn.entry = entry;
    // An idle pooled connection must not keep the process alive.
    conn.session.unref();
    if (!conn.hasFreeSlot()) entry.gone('closed');
  }

  unwatch(conn: H2Connection): void {
    conn.entry = undefined;
    if (!conn.session.destroyed) conn.session.ref();
  }

  close(conn: H2Connection, reason: PoolDropReason): void {
    conn.destroy();
    recordDrop(this.#stats, reason, conn.key);
  }

  /** Closes idle connections and retires the busy ones (their streams finish). */
  closeAll(): void {
    this.#pool.close();
    for (const set of this.#inUse.values()) for (const conn of set) conn.retire();
    this.#inUse.clear();
  }
}
