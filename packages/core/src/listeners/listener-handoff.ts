/**
 * The process's listening sockets as a graceful upgrade sees them: every
 * TransportStack registers its listener under `<service>/<endpoint>`, binds
 * an inherited descriptor when the old process passed one, and learns whether
 * it joins a running server's SO_REUSEPORT group (`-u`). One per process:
 * descriptors and ports belong to the process, not to one Server object.
 */
import type { Server } from 'node:net';
import { InheritedListeners, listeningFd, type SuccessorListener } from '@pingora-ts/runtime';

export class ListenerHandoff {
  #inherited: InheritedListeners | undefined;
  readonly #live = new Map<string, Server>();
  /** `-u`: bind TCP endpoints into the old process's reuseport group, no exclusivity probe. */
  joinRunning = false;
  /** Set once a successor took our listeners: closing them must not remove socket files. */
  handedOver = false;

  /** The descriptor the old process passed for `key`, once. */
  takeInherited(key: string): number | undefined {
    this.#inherited ??= InheritedListeners.fromEnv();
    return this.#inherited.take(key);
  }

  /** Names the old process passed that no endpoint of ours took. */
  untakenInherited(): string[] {
    return this.#inherited?.untaken() ?? [];
  }

  register(key: string, server: Server): void {
    this.#live.set(key, server);
  }

  unregister(key: string, server: Server): void {
    if (this.#live.get(key) === server) this.#live.delete(key);
  }

  /** The listeners to hand to a successor (those with a descriptor). */
  handoverList(): { listeners: SuccessorListener[]; missing: string[] } {
    const listeners: SuccessorListener[] = [];
    const missing: string[] = [];
    for (const [key, server] of this.#live) {
      const fd = listeningFd(server);
      if (fd === undefined) missing.push(key);
      else listeners.push({ key, fd });
    }
    return { listeners, missing };
  }
}

/** This process's listeners. */
export const listenerHandoff = new ListenerHandoff();
