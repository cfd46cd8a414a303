/**
 * A custom ConnectionFilter (Pingora's connection_filter.rs): core consults
 * it for each accepted connection while the socket is still paused, so a
 * denied client is closed before a byte of its request is read. It wraps
 * core's `addressFilter` (IP and CIDR allow/deny lists) and logs denials.
 */
import {
  addressFilter,
  type ConnectionFilter,
  type Logger,
  type SocketAddr,
} from '@pingora-ts/core';

export interface DenyFilterOptions {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export class DenyFilter implements ConnectionFilter {
  readonly #rules: ConnectionFilter;
  readonly #log: Logger;
  /** Connections refused so far. */
  denied = 0;

  constructor(options: DenyFilterOptions, logger: Logger) {
    this.#rules = addressFilter({ allow: options.allow, deny: options.deny });
    this.#log = logger;
  }

  shouldAccept(peer: SocketAddr | undefined): boolean {
    // addressFilter answers synchronously; a filter may also return a promise (e.g. a lookup).
    const ok = this.#rules.shouldAccept(peer) as boolean;
    if (!ok) {
      this.denied++;
      const address = peer?.kind === 'inet' ? peer.address : 'unix';
      this.#log.info({ peer: address, denied: this.denied }, 'connection denied');
    }
    return ok;
  }
}
