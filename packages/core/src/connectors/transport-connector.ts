/**
 * TransportConnector: L4 connections with reuse (Pingora's
 * TransportConnector). getStream hands out a pooled idle connection to the
 * same peer (by reuse hash) or opens a new one and says which; releaseStream
 * returns a connection for reuse under the peer's idle timeout. One pool per
 * connector, bounded by the server's upstream_keepalive_pool_size. TLS
 * peers are secured by the `tls` backend given in the options.
 */
import { ConnectionPool } from '@pingora-ts/pool';
import type { Peer } from '../upstreams/peer.ts';
import { type BindToLists, resolveBindToLists } from './bind-to.ts';
import {
  type ConnectorStats,
  connectorChannels,
  newConnectorStats,
  recordDrop,
} from './connector-events.ts';
import { IdleStream, StreamIdleWatch } from './idle-stream.ts';
import { connectPeer } from './peer-connect.ts';
import type { UpstreamTls } from './upstream-tls.ts';

/** Pingora's default keepalive pool size. */
export const DEFAULT_KEEPALIVE_POOL_SIZE = 128;

export interface ConnectorOptions {
  /** Idle connections kept across all peers (upstream_keepalive_pool_size). Default 128. */
  readonly keepalivePoolSize?: number | undefined;
  /** Local IPv4 addresses to bind upstream connections to, one picked at random. */
  readonly bindToV4?: readonly string[] | undefined;
  /** Local IPv6 addresses to bind upstream connections to, one picked at random. */
  readonly bindToV6?: readonly string[] | undefined;
  /**
   * The TLS backend for TLS peers (e.g. `upstreamTls()` from
   * @pingora-ts/tls-openssl, which httpProxyService wires by default).
   * Without one, dialling a TLS peer fails with a TLSHandshakeFailure that says so.
   */
  readonly tls?: UpstreamTls | undefined;
}

/** The ServerConf fields a connector reads (structural, so any conf object fits). */
export interface ConnectorServerConf {
  readonly upstreamKeepalivePoolSize: number;
  readonly clientBindToIpv4: readonly string[];
  readonly clientBindToIpv6: readonly string[];
}

/** ConnectorOptions taken from the server configuration. */
export function connectorOptionsFromServerConf(conf: ConnectorServerConf): ConnectorOptions {
  return {
    keepalivePoolSize: conf.upstreamKeepalivePoolSize,
    bindToV4: conf.clientBindToIpv4,
    bindToV6: conf.clientBindToIpv6,
  };
}

export class TransportConnector {
  readonly stats: ConnectorStats = newConnectorStats();
  readonly #pool: ConnectionPool<IdleStream>;
  readonly #bindTo: BindToLists;
  readonly #watch: StreamIdleWatch;
  readonly #tls: UpstreamTls | undefined;

  constructor(options: ConnectorOptions = {}) {
    this.#pool = new ConnectionPool<IdleStream>({
      maxSize: options.keepalivePoolSize ?? DEFAULT_KEEPALIVE_POOL_SIZE,
    });
    this.#bindTo = resolveBindToLists(options.bindToV4, options.bindToV6);
    this.#tls = options.tls;
    const stats = this.stats;
    this.#watch = new StreamIdleWatch((conn, reason) => recordDrop(stats, reason, conn.key));
  }

  /** Idle connections pooled now. */
  get idleCount(): number {
    return this.#pool.size;
  }

  /** A new connection to `peer` (TLS included when it wants it), never a pooled one. */
  async newStream(peer: Peer): Promise<IdleStream> {
    const stream = await connectPeer(peer, this.#bindTo, this.#tls);
    this.stats.newConnections++;
    if (connectorChannels.new.hasSubscribers) connectorChannels.new.publish({ peer });
    return new IdleStream(stream, peer.reuseHash());
  }

  /**
   * A pooled idle connection to `peer` (same reuse hash) that still looks
   * usable, or undefined. Connections found dead on the way are dropped.
   */
  reusedStream(peer: Peer): IdleStream | undefined {
    const key = peer.reuseHash();
    // Bounded: each pass takes one connection out of a finite pool.
    for (let left = this.#pool.sizeOf(key); left > 0; left--) {
      const conn = this.#pool.get(key);
      if (conn === undefined) return undefined;
      const socket = conn.stream.socket;
      if (socket.destroyed || !socket.writable || socket.readableEnded) {
        // Closed but its event not yet delivered: never hand it out.
        this.stats.idleCloses++;
        conn.stream.destroy();
        continue;
      }
      if (socket.readableLength > 0) {
        this.stats.unexpectedData++;
        conn.stream.destroy();
        continue;
      }
      conn.reuses++;
      this.stats.reusedConnections++;
      if (connectorChannels.reuse.hasSubscribers) connectorChannels.reuse.publish({ peer });
      return conn;
    }
    return undefined;
  }

  /** A pooled connection to `peer` if there is one, else a new one; `reused` says which. */
  async getStream(peer: Peer): Promise<{ stream: IdleStream; reused: boolean }> {
    const pooled = this.reusedStream(peer);
    if (pooled !== undefined) return { stream: pooled, reused: true };
    return { stream: await this.newStream(peer), reused: false };
  }

  /**
   * Returns a connection for reuse by later requests to `peer`. The caller
   * vouches that the protocol on it is at a clean boundary and no longer
   * reads from or writes to it. Connections that cannot be pooled are closed.
   */
  releaseStream(conn: IdleStream, peer: Peer): void {
    if (conn.idle) return; // released twice: it is already pooled
    const socket = conn.stream.socket;
    const idleTimeout = peer.options.idleTimeout;
    if (
      socket.destroyed ||
      !socket.writable ||
      socket.readableEnded ||
      socket.readableLength > 0 ||
      conn.key !== peer.reuseHash() ||
      // A timeout made invalid after the peer was built must not throw from a release.
      !(idleTimeout === undefined || idleTimeout >= 0)
    ) {
      this.stats.notPooled++;
      conn.stream.destroy();
      return;
    }
    const taken = this.#pool.put(conn.key, conn, {
      idleTimeoutMs: idleTimeout,
      watch: this.#watch,
    });
    if (!taken) {
      this.stats.notPooled++;
      conn.stream.destroy();
    }
  }

  /** Closes every idle connection; later releases close their connection. */
  close(): void {
    this.#pool.close();
  }

  /** @internal For tests and diagnostics: pooled connections to `peer`. */
  idleCountFor(peer: Peer): number {
    return this.#pool.sizeOf(peer.reuseHash());
  }
}
