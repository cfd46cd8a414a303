/**
 * H2Connection: one multiplexed upstream HTTP/2 connection (Pingora's
 * ConnectionRef in protocols/http/v2/client.rs): its stream slots
 * (min(maxH2Streams, the peer's SETTINGS_MAX_CONCURRENT_STREAMS)), GOAWAY
 * handling (never reused after one), PING keepalive with a pong timeout,
 * and the pool watch while it sits idle.
 */
import type { ClientHttp2Session } from 'node:http2';
import type { IdleEntry } from '@pingora-ts/pool';
import { H2ClientSession, type H2StreamHost } from '../../../protocols/http/v2/client-session.ts';

/** What the connection tells its connector. */
export interface H2ConnectionOwner {
  /** A stream ended: the connection has a free slot (or none active). */
  slotFreed(conn: H2Connection): void;
  /** The connection can take no new stream (GOAWAY, error, closed). */
  retired(conn: H2Connection): void;
  /** The peer asked for HTTP/1.1 on a stream of this connection. */
  downgradeRequired(conn: H2Connection): void;
}

export class H2Connection implements H2StreamHost {
  readonly session: ClientHttp2Session;
  readonly scheme: 'http' | 'https';
  /** The peer reuse hash the connection was opened for. */
  readonly key: string;
  /** The peer accepts nothing but h2 (ALPN H2): no HTTP/1 fallback. */
  readonly requiresH2: boolean;
  /** Streams open now. */
  active = 0;
  /** Times a stream was opened on it after the first. */
  reuses = 0;
  /** No new streams (GOAWAY received or sent, error, closed). */
  retiredFlag = false;
  /** @internal the pool handle while idle. */
  entry: IdleEntry | undefined;
  readonly #maxH2Streams: number;
  readonly #owner: H2ConnectionOwner;
  #pingTimer: NodeJS.Timeout | undefined;
  #opened = 0;

  constructor(
    session: ClientHttp2Session,
    scheme: 'http' | 'https',
    key: string,
    maxH2Streams: number,
    requiresH2: boolean,
    owner: H2ConnectionOwner,
    pingIntervalMs: number,
    pingTimeoutMs: number,
  ) {
    this.session = session;
    this.scheme = scheme;
    this.key = key;
    this.requiresH2 = requiresH2;
    this.#maxH2Streams = maxH2Streams;
    this.#owner = owner;
    session.on('goaway', () => this.retire());
    session.on('error', () => this.retire());
    session.once('close', () => {
      this.retire();
      this.entry?.gone('closed');
    });
    if (pingIntervalMs > 0) {
      this.#pingTimer = setInterval(() => this.#ping(pingTimeoutMs), pingIntervalMs);
      this.#pingTimer.unref();
    }
  }

  /** Streams this connection may carry at once now. */
  get maxStreams(): number {
    const peer = this.session.remoteSettings.maxConcurrentStreams ?? 100;
    return Math.max(0, Math.min(this.#maxH2Streams, peer));
  }

  /** True when a new stream may be opened on it. */
  hasFreeSlot(): boolean {
    return (
      !this.retiredFlag &&
      !this.session.closed &&
      !this.session.destroyed &&
      this.active < this.maxStreams
    );
  }

  /** Takes a slot for a new request. */
  newStream(readTimeoutMs: number, writeTimeoutMs: number): H2ClientSession {
    this.active++;
    if (this.#opened++ > 0) this.reuses++;
    return new H2ClientSession(this, readTimeoutMs, writeTimeoutMs);
  }

  streamClosed(_session: H2ClientSession): void {
    this.active--;
    if (this.retiredFlag) {
      if (this.active === 0 && !this.session.closed) this.session.close();
      return;
    }
    this.#owner.slotFreed(this);
  }

  downgradeRequired(): void {
    this.#owner.downgradeRequired(this);
  }

  /** No new streams from now on; open ones finish. */
  retire(): void {
    if (this.retiredFlag) return;
    this.retiredFlag = true;
    this.#stopPing();
    this.#owner.retired(this);
    // Once the open streams are done, nothing keeps the connection.
    if (this.active === 0 && !this.session.closed) this.session.close();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.retire();
    if (!this.session.destroyed) this.session.destroy();
  }

  #ping(timeoutMs: number): void {
    const session = this.session;
    if (session.closed || session.destroyed) return;
    const timer = setTimeout(() => {
      // No PONG in time: the peer or the path is gone (Pingora's PingTimedout).
      this.destroy();
    }, timeoutMs);
    timer.unref();
    try {
      session.ping((err) => {
        clearTimeout(timer);
        if (err !== null) this.destroy();
      });
    } catch {
      clearTimeout(timer);
      this.destroy();
    }
  }

  #stopPing(): void {
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }
}
