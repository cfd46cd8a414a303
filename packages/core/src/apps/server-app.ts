/**
 * ServerApp: what a listening service runs for every accepted connection
 * (Pingora's ServerApp). The service owns accepting and shutdown; the app owns
 * the bytes of one connection until the returned promise settles.
 */
import type { Stream } from '../l4/stream.ts';

export interface ServerApp {
  /**
   * Serves one connection. Resolve when done with it: the service then ends
   * the socket if still open (what was written is flushed) and destroys it if
   * the peer has not closed within the linger time; a rejection destroys it
   * at once and is logged. `shutdown` aborts when the server starts a
   * graceful shutdown: finish the request in flight, then close. Connections
   * still open when the grace time is over are destroyed.
   */
  processNewConnection(stream: Stream, shutdown: AbortSignal): Promise<void> | void;
  /**
   * processNewConnection told through `done` instead of a promise (the
   * listening service uses it when present, so an idle connection holds no
   * promise): exactly one `done.connectionDone(err?)`, possibly before this
   * returns. Same contract otherwise.
   */
  serveConnection?(stream: Stream, shutdown: AbortSignal, done: ConnectionDone): void;
  /** Called once when the service stops, after its connections are done. */
  cleanup?(): Promise<void> | void;
}

/** Where serveConnection tells that it is done with a connection (the service's own record of it). */
export interface ConnectionDone {
  /** Done with the connection; `err` when it failed (processNewConnection's rejection). */
  connectionDone(err?: unknown): void;
}
