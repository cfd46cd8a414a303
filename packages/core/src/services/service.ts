/**
 * Service: something the Server runs until shutdown (Pingora's Service and
 * ServiceWithDependents). A service reports ready through its context; the
 * services that depend on it start only then. Two kinds come built in: the
 * ListeningService and the background service wrapper.
 */
import type { Logger } from 'pino';
import type { ServerConf } from '../server/server-conf.ts';

export interface ServiceContext {
  /** Aborts when the server starts shutting down: stop taking new work, finish what is in flight. */
  readonly shutdown: AbortSignal;
  /**
   * Aborts when the grace time is over (or at once on a fast shutdown):
   * drop what is left now and return.
   */
  readonly terminate: AbortSignal;
  /** Report ready (idempotent). A service that returns without calling it is ready then. */
  ready(): void;
  /** The server's logger, bound to this service's name. */
  readonly logger: Logger;
  readonly conf: ServerConf;
}

export interface Service {
  /** Unique within a server; shown in logs and errors. */
  readonly name: string;
  /**
   * Runs the service. Resolve once it has stopped after `ctx.shutdown`
   * (and `ctx.terminate`) aborted. Rejecting before ready fails the startup.
   */
  start(ctx: ServiceContext): Promise<void>;
  /**
   * Re-reads what can change without a restart (TLS certificates), on
   * SIGHUP or `RunningServer.reload()`. Optional: services without it are
   * skipped. Rejecting keeps the service running on its old state.
   */
  reload?(): Promise<void>;
}

/** What `server.addService()` returns: a name to declare dependencies with. */
export interface ServiceHandle {
  readonly name: string;
  /** This service starts only after `others` report ready. */
  addDependency(...others: Array<ServiceHandle | string>): this;
}

/** How a service is added to a server. */
export interface AddServiceOptions {
  /** Services (handles or names) that must be ready before this one starts. */
  dependsOn?: ReadonlyArray<ServiceHandle | string>;
}
