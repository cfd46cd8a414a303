/**
 * The service that keeps a sample's demo origins alive: added next to the
 * proxy when the configuration names no upstream, it stays up until the
 * server shuts down and then closes the origins (and their connections).
 */
import { backgroundService, type Service } from '@pingora-ts/core';

/** A running origin that a shutdown closes. */
export interface Closable {
  close(): Promise<void>;
}

/** A background service named `name` that closes `origins` when the server shuts down. */
export function demoOriginService(origins: readonly Closable[], name = 'demo_origins'): Service {
  return backgroundService({
    name,
    start: async (shutdown) => {
      if (!shutdown.aborted)
        await new Promise((r) => shutdown.addEventListener('abort', r, { once: true }));
      await Promise.all(origins.map((o) => o.close()));
    },
  });
}
