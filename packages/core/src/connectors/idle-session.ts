/**
 * PooledH1Session and H1SessionIdleWatch: how an idle HTTP/1 client session
 * waits in the pool. The session stays attached to its socket (it is reused
 * whole, parser and buffers included); while it is pooled, the session's own
 * socket listeners report EOF, an error or any stray byte through its idle
 * hook, which removes it from the pool at once.
 */
import type { IdleEntry, IdleGoneReason, IdleWatch, PoolDropReason } from '@pingora-ts/pool';
import type { H1ClientSession } from '../protocols/http/v1/client-session.ts';

/** One upstream HTTP/1 connection as the pool holds it; kept for its whole life. */
export class PooledH1Session {
  readonly session: H1ClientSession;
  /** The peer reuse hash the connection was opened for. */
  readonly key: string;
  /** How many times it was handed out from the pool. */
  reuses = 0;
  #entry: IdleEntry | undefined = undefined;
  // Told by the session's own listeners (no listener added per pool visit).
  readonly #onGone = (reason: IdleGoneReason): void => this.#entry?.gone(reason);

  constructor(session: H1ClientSession, key: string) {
    this.session = session;
    this.key = key;
  }

  /** True while the connection sits in the pool. */
  get idle(): boolean {
    return this.#entry !== undefined;
  }

  /** True while the session can carry another request. */
  usable(): boolean {
    const socket = this.session.socket;
    return (
      this.session.reusable() && !socket.destroyed && socket.writable && socket.readableLength === 0
    );
  }

  /** @internal */
  startWatch(entry: IdleEntry): void {
    const socket = this.session.socket;
    this.#entry = entry;
    // A server never speaks first on an idle HTTP/1 connection: any byte is a
    // violation, as are EOF and errors; the session reports each to onGone.
    this.session.idleHook = this.#onGone;
    // An idle pooled connection must not keep the process alive (as Node's http.Agent does).
    socket.unref();
    if (!this.usable()) entry.gone('closed');
  }

  /** @internal */
  stopWatch(): void {
    this.#entry = undefined;
    this.session.idleHook = undefined;
    this.session.socket.ref();
  }
}

/** The IdleWatch for pooled HTTP/1 sessions; `onDrop` hears why each dropped one went. */
export class H1SessionIdleWatch implements IdleWatch<PooledH1Session> {
  readonly #onDrop: (conn: PooledH1Session, reason: PoolDropReason) => void;

  constructor(onDrop: (conn: PooledH1Session, reason: PoolDropReason) => void) {
    this.#onDrop = onDrop;
  }

  watch(conn: PooledH1Session, entry: IdleEntry): void {
    conn.startWatch(entry);
  }

  unwatch(conn: PooledH1Session): void {
    conn.stopWatch();
  }

  close(conn: PooledH1Session, reason: PoolDropReason): void {
    conn.session.destroy();
    this.#onDrop(conn, reason);
  }
}
