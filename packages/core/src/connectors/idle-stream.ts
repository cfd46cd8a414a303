/**
 * IdleStream and StreamIdleWatch: how a pooled upstream socket is watched
 * while idle. A server never speaks first on an idle HTTP/1 connection, so
 * any byte, EOF or error while pooled means the connection must not be
 * reused: the pool drops it at once. Listeners are created once per
 * connection and only attached while it sits in the pool.
 */
import type { IdleEntry, IdleWatch, PoolDropReason } from '@pingora-ts/pool';
import type { Stream } from '../l4/stream.ts';

/** One upstream connection as the pool holds it; kept across pool visits. */
export class IdleStream {
  readonly stream: Stream;
  /** The reuse hash of the peer the connection was opened for. */
  readonly key: string;
  /** How many times this connection has been handed out from the pool. */
  reuses = 0;
  #entry: IdleEntry | undefined = undefined;
  readonly #onReadable = (): void => {
    // Any buffered byte is unexpected; 'readable' with nothing buffered is EOF.
    this.#entry?.gone(this.stream.socket.readableLength > 0 ? 'unexpected-data' : 'closed');
  };
  readonly #onEnd = (): void => this.#entry?.gone('closed');
  readonly #onClose = (): void => this.#entry?.gone('closed');
  readonly #onError = (): void => this.#entry?.gone('error');

  constructor(stream: Stream, key: string) {
    this.stream = stream;
    this.key = key;
  }

  /** True while the connection sits in the pool. */
  get idle(): boolean {
    return this.#entry !== undefined;
  }

  /** @internal */
  startWatch(entry: IdleEntry): void {
    const socket = this.stream.socket;
    this.#entry = entry;
    // The 'error' listener also keeps an idle socket's error from crashing the process.
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('end', this.#onEnd);
    socket.on('readable', this.#onReadable);
    // An idle pooled connection must not keep the process alive (as Node's http.Agent does).
    socket.unref();
    if (socket.destroyed || socket.readableEnded || !socket.writable) entry.gone('closed');
    else if (socket.readableLength > 0) entry.gone('unexpected-data');
  }

  /** @internal */
  stopWatch(): void {
    const socket = this.stream.socket;
    this.#entry = undefined;
    socket.removeListener('readable', this.#onReadable);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('close', this.#onClose);
    socket.removeListener('error', this.#onError);
    socket.ref();
  }
}

/** The IdleWatch for IdleStreams; `onDrop` hears why each dropped one went. */
export class StreamIdleWatch implements IdleWatch<IdleStream> {
  readonly #onDrop: ((conn: IdleStream, reason: PoolDropReason) => void) | undefined;

  constructor(onDrop?: (conn: IdleStream, reason: PoolDropReason) => void) {
    this.#onDrop = onDrop;
  }

  watch(conn: IdleStream, entry: IdleEntry): void {
    conn.startWatch(entry);
  }

  unwatch(conn: IdleStream): void {
    conn.stopWatch();
  }

  close(conn: IdleStream, reason: PoolDropReason): void {
    conn.stream.destroy();
    this.#onDrop?.(conn, reason);
  }
}
