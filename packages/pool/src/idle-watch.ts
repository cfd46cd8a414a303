/**
 * The contract between the pool and the connections it holds. The pool knows
 * nothing about sockets: the caller supplies an IdleWatch that notices when an
 * idle connection dies (upstream close, stray bytes) and closes what the pool
 * discards. A socket implementation lives in core's connectors.
 */

/** Why an idle connection became unusable while it sat in the pool. */
export type IdleGoneReason = 'closed' | 'unexpected-data' | 'error';

/** Why the pool let go of a connection without handing it out. */
export type PoolDropReason = IdleGoneReason | 'evicted' | 'idle-timeout' | 'pool-closed';

/**
 * The pool's handle on one idle connection, given to `IdleWatch.watch`. Call
 * `gone()` when the connection can no longer be reused; the pool then removes
 * it at once and passes it to `IdleWatch.close`. Calls after the entry left the
 * pool are ignored, but a watcher must not keep the handle past `unwatch`:
 * handles are recycled for later connections.
 */
export interface IdleEntry {
  gone(reason: IdleGoneReason): void;
}

export interface IdleWatch<T> {
  /**
   * The connection enters the pool: start watching it (for a socket, listen
   * for 'data', 'end', 'close' and 'error') and call `entry.gone()` if it dies.
   */
  watch(conn: T, entry: IdleEntry): void;
  /** The connection leaves the pool (handed out or dropped): stop watching. */
  unwatch(conn: T): void;
  /** The pool drops the connection for `reason`: close it (after `unwatch`). */
  close(conn: T, reason: PoolDropReason): void;
}
