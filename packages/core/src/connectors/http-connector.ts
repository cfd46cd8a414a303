/**
 * HttpConnector: HTTP/1 sessions to upstream peers with connection reuse
 * (Pingora's connectors::http::Connector). getHttpSession hands out an idle
 * pooled session to an equal peer or connects a new one, and says which;
 * releaseHttpSession pools a session whose exchange ended cleanly. The
 * proxy calls both from its request loop.
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { ConnectionPool } from '@pingora-ts/pool';
import type { Stream } from '../l4/stream.ts';
import type { HttpClientSession } from '../protocols/http/client-session.ts';
import { type H1ClientOptions, H1ClientSession } from '../protocols/http/v1/client-session.ts';
import type { TimeoutConf, UpstreamTimeouts } from '../server/timeout-conf.ts';
import { upstreamTimeoutsFromServerConf } from '../server/timeout-conf.ts';
import type { Peer } from '../upstreams/peer.ts';
import { ALPN } from '../upstreams/peer-options.ts';
import { type BindToLists, resolveBindToLists } from './bind-to.ts';
import {
  type ConnectorStats,
  connectorChannels,
  newConnectorStats,
  recordDrop,
} from './connector-events.ts';
import { H2Connector, type H2ConnectorOptions } from './http/v2/h2-connector.ts';
import { H1SessionIdleWatch, PooledH1Session } from './idle-session.ts';
import { connectPeer } from './peer-connect.ts';
import {
  type ConnectorOptions,
  type ConnectorServerConf,
  connectorOptionsFromServerConf,
  DEFAULT_KEEPALIVE_POOL_SIZE,
} from './transport-connector.ts';

/** Read and write timeouts used when a peer sets none: every wait stays bounded. */
export const DEFAULT_UPSTREAM_IO_TIMEOUT_MS = 60_000;

export interface HttpConnectorOptions extends ConnectorOptions {
  /** Options for new HTTP/1 sessions (head limits); timeouts come from each peer. */
  readonly h1?: Omit<H1ClientOptions, 'readTimeoutMs' | 'writeTimeoutMs'> | undefined;
  /** HTTP/2 connection options (PING keepalive, windows) for peers whose ALPN allows h2. */
  readonly h2?: H2ConnectorOptions | undefined;
  /**
   * Timeouts for peers whose PeerOptions leave them unset (the server's
   * upstream_*_timeout_seconds keys). Defaults: read and write 60 s,
   * connect and pool idle unset (no limit of ours).
   */
  readonly timeouts?: Partial<UpstreamTimeouts> | undefined;
}

/** What getHttpSession returns. */
export interface HttpSessionLease {
  /** The session, ready for `writeRequestHeader`: an HTTP/1 connection or an HTTP/2 stream. */
  readonly session: HttpClientSession;
  /** True when the connection came from the pool (decides retries, see decideRetryByReuse). */
  readonly reused: boolean;
}

export class HttpConnector {
  /** New/reused connections, evictions, idle closes and timeouts, as plain counters. */
  readonly stats: ConnectorStats = newConnectorStats();
  readonly #pool: ConnectionPool<PooledH1Session>;
  readonly #bindTo: BindToLists;
  readonly #watch: H1SessionIdleWatch;
  readonly #h1: H1ClientOptions;
  readonly #tls: HttpConnectorOptions['tls'];
  readonly #pooled = new WeakMap<HttpClientSession, PooledH1Session>();
  /** HTTP/2 upstreams (peers with ALPN h2 or h2h1): multiplexed connections. */
  readonly h2: H2Connector;
  readonly #readTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #connectTimeoutMs: number | undefined;
  readonly #idleTimeoutMs: number | undefined;

  constructor(options: HttpConnectorOptions = {}) {
    this.#pool = new ConnectionPool<PooledH1Session>({
      maxSize: options.keepalivePoolSize ?? DEFAULT_KEEPALIVE_POOL_SIZE,
    });
    this.#bindTo = resolveBindToLists(options.bindToV4, options.bindToV6);
    this.#h1 = options.h1 ?? {};
    this.#tls = options.tls;
    const t = options.timeouts ?? {};
    this.#readTimeoutMs = t.readTimeoutMs ?? DEFAULT_UPSTREAM_IO_TIMEOUT_MS;
    this.#writeTimeoutMs = t.writeTimeoutMs ?? DEFAULT_UPSTREAM_IO_TIMEOUT_MS;
    this.#connectTimeoutMs = t.connectTimeoutMs;
    this.#idleTimeoutMs = t.idleTimeoutMs;
    this.h2 = new H2Connector(
      options.keepalivePoolSize ?? DEFAULT_KEEPALIVE_POOL_SIZE,
      this.stats,
      options.h2,
      t.idleTimeoutMs,
    );
    const stats = this.stats;
    this.#watch = new H1SessionIdleWatch((conn, reason) => recordDrop(stats, reason, conn.key));
  }

  /**
   * A connector configured from the server's upstream settings (pool, bind,
   * timeouts), with `tls` as its TLS backend (built from the same conf for
   * its ca_file).
   */
  static fromServerConf(
    conf: ConnectorServerConf & Partial<TimeoutConf>,
    h1?: HttpConnectorOptions['h1'],
    tls?: HttpConnectorOptions['tls'],
  ): HttpConnector {
    const timeouts =
      conf.upstreamReadTimeoutSeconds === undefined
        ? undefined
        : upstreamTimeoutsFromServerConf(conf as TimeoutConf);
    return new HttpConnector({ ...connectorOptionsFromServerConf(conf), h1, tls, timeouts });
  }

  /** Idle connections pooled now, across all peers. */
  get idleCount(): number {
    return this.#pool.size;
  }

  /**
   * An HTTP/1 session to `peer`: an idle pooled one to an equal peer (same
   * reuse hash) if there is one, else a new connection. The peer's read and
   * write timeouts are applied. Rejects with an Upstream PingoraError
   * (ConnectRefused, ConnectTimedout, ConnectNoRoute, ConnectProxyFailure,
   * TLSHandshakeFailure, InvalidCert, ...) when a new connection cannot be made.
   * A TLS session carries its handshake digest on `session.upstreamTls`.
   */
  async getHttpSession(peer: Peer): Promise<HttpSessionLease> {
    const reused = this.reusedHttpSession(peer);
    if (reused !== undefined) return { session: reused, reused: true };
    if (peer.options.alpn !== ALPN.H1 && !this.h2.prefersH1(peer)) {
      return this.#getH2Session(peer);
    }
    // An HTTP/1 connection offers only http/1.1 in ALPN.
    return {
      session: this.#newH1Session(
        peer,
        await connectPeer(peer, this.#bindTo, this.#tls, ALPN.H1, this.#connectTimeoutMs),
      ),
      reused: false,
    };
  }

  /** A stream on a shared or new h2 connection; HTTP/1 when the peer's ALPN chose it. */
  async #getH2Session(peer: Peer): Promise<HttpSessionLease> {
    const readMs = peer.options.readTimeout ?? this.#readTimeoutMs;
    const writeMs = peer.options.writeTimeout ?? this.#writeTimeoutMs;
    // Bounded: each pass either gets a stream or opens a connection of its own.
    for (let attempt = 0; attempt < 8; attempt++) {
      const result = await this.h2.connect(peer, this.#bindTo, this.#tls, this.#connectTimeoutMs);
      if (result.kind === 'h1')
        return { session: this.#newH1Session(peer, result.stream), reused: false };
      const session = this.h2.streamOn(result.conn, peer, readMs, writeMs);
      if (session !== undefined) return { session, reused: attempt > 0 };
      // Shared connect whose slots others took first: try the pool, then connect again.
      const other = this.h2.reusedStream(peer, readMs, writeMs);
      if (other !== undefined) return { session: other, reused: true };
    }
    throw PingoraError.create(
      ErrorType.ConnectError,
      ErrorSource.Upstream,
      'no free HTTP/2 stream after 8 connects',
    ).moreContext(`peer: ${peer.toString()}`);
  }

  /** An HTTP/1 session on a new connection, registered for pooling. */
  #newH1Session(peer: Peer, stream: Stream): H1ClientSession {
    const session = new H1ClientSession(stream.socket, {
      ...this.#h1,
      readTimeoutMs: peer.options.readTimeout ?? this.#readTimeoutMs,
      writeTimeoutMs: peer.options.writeTimeout ?? this.#writeTimeoutMs,
    });
    session.upstreamTls = stream.upstreamTls;
    this.#pooled.set(session, new PooledH1Session(session, peer.reuseHash()));
    this.stats.newConnections++;
    if (connectorChannels.new.hasSubscribers) connectorChannels.new.publish({ peer });
    return session;
  }

  /** An idle pooled session to `peer` that still looks usable, or undefined. */
  reusedHttpSession(peer: Peer): HttpClientSession | undefined {
    if (peer.options.alpn !== ALPN.H1) {
      const h2 = this.h2.reusedStream(
        peer,
        peer.options.readTimeout ?? this.#readTimeoutMs,
        peer.options.writeTimeout ?? this.#writeTimeoutMs,
      );
      if (h2 !== undefined) return h2;
      // A peer that requires h2 never takes an HTTP/1 connection.
      if (peer.options.alpn === ALPN.H2) return undefined;
    }
    const key = peer.reuseHash();
    // Bounded: each pass takes one connection out of a finite pool.
    for (let left = this.#pool.sizeOf(key); left > 0; left--) {
      const conn = this.#pool.get(key);
      if (conn === undefined) return undefined;
      if (!conn.usable()) {
        // Closed or written to, its event not yet delivered: never hand it out.
        this.stats.idleCloses++;
        conn.session.destroy();
        continue;
      }
      conn.reuses++;
      const session = conn.session;
      session.readTimeoutMs = peer.options.readTimeout ?? this.#readTimeoutMs;
      session.writeTimeoutMs = peer.options.writeTimeout ?? this.#writeTimeoutMs;
      this.stats.reusedConnections++;
      if (connectorChannels.reuse.hasSubscribers) connectorChannels.reuse.publish({ peer });
      return session;
    }
    return undefined;
  }

  /**
   * Gives a session back when the proxy is done with it. It is pooled for
   * reuse by equal peers if the codec says the connection may carry another
   * request (`session.reusable()`: both messages complete and cleanly framed,
   * keep-alive on both sides) and the peer's idleTimeout is not 0; otherwise it
   * is closed. Either way the caller must not use the session afterwards.
   */
  releaseHttpSession(session: HttpClientSession, peer: Peer): void {
    // An h2 stream frees its slot when it closes; a half-done one is cancelled.
    if (session.protocol === 'HTTP/2') {
      if (!session.reusable()) session.destroy();
      return;
    }
    const conn = this.#pooled.get(session);
    const idleTimeout = peer.options.idleTimeout ?? this.#idleTimeoutMs;
    // Released twice: it is already pooled (or was dropped from the pool); nothing to do.
    if (conn?.idle === true) return;
    // Only sessions this connector opened, to this peer, may be pooled.
    if (
      conn === undefined ||
      conn.key !== peer.reuseHash() ||
      !conn.usable() ||
      // A timeout made invalid after the peer was built must not throw from a release.
      !(idleTimeout === undefined || idleTimeout >= 0)
    ) {
      this.stats.notPooled++;
      session.destroy();
      return;
    }
    const taken = this.#pool.put(conn.key, conn, {
      idleTimeoutMs: idleTimeout,
      watch: this.#watch,
    });
    if (!taken) {
      this.stats.notPooled++;
      session.destroy();
    }
  }

  /** Closes every idle connection; sessions released later are closed too. */
  close(): void {
    this.#pool.close();
    this.h2.closeAll();
  }
}
