/**
 * ServerRun: one run of a Server's services. Starts them in dependency order
 * (each after the ones it depends on report ready) and drives the shutdown
 * phases: graceful (stop accepting, grace period, final timeout, close what
 * is left), graceful upgrade (same, through the upgrade phases) or fast.
 */
import { ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import type { Service, ServiceContext } from '../services/service.ts';
import { ExecutionPhase, type ServiceEvent, serviceChannel } from './execution-phase.ts';
import type { ServerConf } from './server-conf.ts';

export interface ShutdownOptions {
  /** false: fast shutdown (close everything now). Default true. */
  graceful?: boolean;
  /** Run through the graceful-upgrade phases (SIGQUIT). */
  upgrade?: boolean;
}

/** The handle `server.run()` returns. */
export interface RunningServer {
  /** Resolves once every service reported ready; rejects if one failed to start. */
  readonly ready: Promise<void>;
  /** Resolves when the server reached Terminated. Never rejects. */
  readonly done: Promise<void>;
  /**
   * Starts a shutdown and resolves when it is done. A fast shutdown requested
   * during a graceful one cuts it short; other repeated calls just wait.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /**
   * Calls `reload()` on every service that has one (what SIGHUP does):
   * TLS listeners re-read their certificates. Resolves when all are done;
   * failures are logged by the services and counted in the result.
   */
  reload(): Promise<{ reloaded: number; failed: number }>;
  /** `await using run = server.run()`: a fast shutdown when the scope ends. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** After `terminate`, services get this long to return before we stop waiting. */
const SETTLE_MS = 2_000;
/** How often a service still waiting for its dependencies is logged. */
const WAIT_WARN_MS = 30_000;

export interface ServerRunInit {
  readonly services: ReadonlyArray<{ service: Service; dependsOn: readonly string[] }>;
  readonly conf: ServerConf;
  readonly logger: Logger;
  readonly setPhase: (phase: ExecutionPhase) => void;
}

interface Task {
  readonly ready: PromiseWithResolvers<void>;
  done: Promise<void>;
}

export class ServerRun implements RunningServer {
  readonly ready: Promise<void>;
  readonly done: Promise<void>;
  readonly #init: ServerRunInit;
  readonly #log: Logger;
  readonly #shutdown = new AbortController();
  readonly #terminate = new AbortController();
  readonly #tasks = new Map<string, Task>();
  readonly #finished: PromiseWithResolvers<void> = Promise.withResolvers();
  #stopping: Promise<void> | undefined;
  #fast: (() => void) | undefined;

  constructor(init: ServerRunInit) {
    this.#init = init;
    this.#log = init.logger.child({ service: 'server' });
    this.done = this.#finished.promise;
    for (const { service } of init.services) {
      const ready = Promise.withResolvers<void>();
      // Dependents observe a failure through their own wait; no unhandled rejection here.
      ready.promise.catch(() => {});
      this.#tasks.set(service.name, { ready, done: Promise.resolve() });
    }
    for (const { service, dependsOn } of init.services) this.#launch(service, dependsOn);
    this.ready = Promise.all([...this.#tasks.values()].map((t) => t.ready.promise)).then(() => {
      this.#log.info('all services ready');
    });
    this.ready.catch(() => {});
    init.setPhase(ExecutionPhase.Running);
  }

  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const graceful = options.graceful !== false;
    if (this.#stopping !== undefined) {
      if (!graceful) this.#fast?.();
      return this.#stopping;
    }
    this.#stopping = this.#stop(graceful, options.upgrade === true);
    return this.#stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ graceful: false });
  }

  async reload(): Promise<{ reloaded: number; failed: number }> {
    const services = this.#init.services.flatMap(({ service }) =>
      service.reload === undefined ? [] : [service],
    );
    const results = await Promise.allSettled(services.map((s) => s.reload?.()));
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.#log.info({ reloaded: results.length - failed, failed }, 'reload done');
    return { reloaded: results.length - failed, failed };
  }

  #launch(service: Service, dependsOn: readonly string[]): void {
    const task = this.#tasks.get(service.name) as Task;
    const logger = this.#init.logger.child({ service: service.name });
    let ready = false;
    const ctx: ServiceContext = {
      shutdown: this.#shutdown.signal,
      terminate: this.#terminate.signal,
      logger,
      conf: this.#init.conf,
      ready: () => {
        if (ready) return;
        ready = true;
        logger.info('service ready');
        publishService(service.name, 'ready');
        task.ready.resolve();
      },
    };
    const deps = dependsOn.map((d) => (this.#tasks.get(d) as Task).ready.promise);
    task.done = (async () => {
      if (deps.length > 0) {
        logger.info({ dependsOn }, 'waiting for dependencies');
        const began = Date.now();
        // A dependency may take long (or never report ready): say so now and then.
        const nag = setInterval(() => {
          logger.warn(
            { dependsOn, waitedMs: Date.now() - began },
            'still waiting for dependencies',
          );
        }, WAIT_WARN_MS);
        nag.unref();
        try {
          await Promise.race([Promise.all(deps), abortPromise(this.#shutdown.signal)]);
        } catch (cause) {
          task.ready.reject(
            PingoraError.because(
              ErrorType.InternalError,
              `service "${service.name}" not started: a dependency (${dependsOn.join(', ')}) failed`,
              cause,
            ),
          );
          logger.error('not started: a dependency failed');
          return;
        } finally {
          clearInterval(nag);
        }
        if (this.#shutdown.signal.aborted) {
          task.ready.reject(
            PingoraError.explain(
              ErrorType.InternalError,
              `service "${service.name}" not started: shutting down`,
            ),
          );
          return;
        }
        logger.info({ waitedMs: Date.now() - began }, 'dependencies ready');
      }
      logger.info('starting service');
      publishService(service.name, 'starting');
      try {
        await service.start(ctx);
        ctx.ready();
        logger.info('service exited');
        publishService(service.name, 'stopped');
      } catch (err) {
        const error = toPingoraError(err, { context: `service "${service.name}"` });
        logger.error({ err: error }, ready ? 'service failed' : 'service failed to start');
        publishService(service.name, 'failed');
        if (!ready) task.ready.reject(error);
        // A service that cannot start leaves the server half up: stop everything.
        if (!ready) void this.shutdown({ graceful: false });
      }
    })();
  }

  async #stop(graceful: boolean, upgrade: boolean): Promise<void> {
    const { setPhase, conf } = this.#init;
    const log = this.#log;
    const all = Promise.all([...this.#tasks.values()].map((t) => t.done)).then(() => true);
    let fast = !graceful;
    const escalate = new AbortController();
    this.#fast = () => {
      if (fast) return;
      fast = true;
      log.warn('fast shutdown requested during graceful shutdown');
      escalate.abort();
    };
    if (graceful && upgrade) {
      setPhase(ExecutionPhase.GracefulUpgradeTransferringFds);
      log.info('graceful upgrade: no socket hand-over in this version; shutting down gracefully');
    } else if (graceful) {
      setPhase(ExecutionPhase.GracefulTerminate);
    }
    this.#shutdown.abort(PingoraError.explain(ErrorType.InternalError, 'server shutting down'));
    setPhase(ExecutionPhase.ShutdownStarted);
    if (!fast) {
      setPhase(ExecutionPhase.ShutdownGracePeriod);
      log.info({ seconds: conf.gracePeriodSeconds }, 'grace period starts');
      const finished = await raceTimeout(all, conf.gracePeriodSeconds * 1000, escalate.signal);
      log.info(finished ? 'all services finished within the grace period' : 'grace period over');
    }
    setPhase(ExecutionPhase.ShutdownRuntimes);
    if (!fast) {
      await raceTimeout(all, conf.gracefulShutdownTimeoutSeconds * 1000, escalate.signal);
    }
    this.#terminate.abort(PingoraError.explain(ErrorType.InternalError, 'server terminating'));
    if (!(await raceTimeout(all, SETTLE_MS))) log.warn('some services did not stop in time');
    setPhase(ExecutionPhase.Terminated);
    this.#finished.resolve();
  }
}

function publishService(service: string, state: ServiceEvent['state']): void {
  if (serviceChannel.hasSubscribers) {
    const event: ServiceEvent = { service, state, at: Date.now() };
    serviceChannel.publish(event);
  }
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** True if `promise` settles first, false on timeout or when `cut` aborts. */
function raceTimeout(promise: Promise<unknown>, ms: number, cut?: AbortSignal): Promise<boolean> {
  if (cut?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), ms);
    const onCut = () => finish(false);
    cut?.addEventListener('abort', onCut, { once: true });
    function finish(value: boolean) {
      clearTimeout(timer);
      cut?.removeEventListener('abort', onCut);
      resolve(value);
    }
    promise.then(
      () => finish(true),
      () => finish(true),
    );
  });
}
