/**
 * `threads: N` (Pingora's per-service threads, pingora-runtime): the main
 * thread keeps configuration, signals, listeners and upgrades and runs a
 * ThreadPool of N server threads, each running the app's services on its own
 * event loop. `work_stealing: true`: main accepts and hands each connection
 * to the threads in turn, skipping a clearly busier one; `false`: each thread binds its own
 * SO_REUSEPORT listener. Where the platform lacks either, one thread.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import {
  reusePortSupported,
  type ServerThread,
  socketTransferSupported,
  ThreadPool,
} from '@pingora-ts/runtime';
import type { Logger } from 'pino';
import { threadRouting } from '../listeners/thread-routing.ts';
import { bindWaitingTicketKeys } from '../protocols/tls/ticket-keys-sharing.ts';
import { ListeningService } from '../services/listening-service.ts';
import type { Service, ServiceContext } from '../services/service.ts';
import type { Server } from './server.ts';
import type { ServerConf } from './server-conf.ts';
import { workerExecArgv } from './young-generation.ts';

/** How long a server thread may take to start its services. */
const THREAD_READY_MS = 60_000;
/** After the drain, how long threads get to exit before they are terminated. */
const THREAD_SETTLE_MS = 2_000;

export interface ThreadPlan {
  readonly threads: number;
  readonly ownListeners: boolean;
}

/** The thread layout for `conf`, or undefined for one thread (with a warning when asked for more). */
export function planThreads(conf: ServerConf, log: Logger): ThreadPlan | undefined {
  if (conf.threads <= 1) return undefined;
  if (conf.workStealing) {
    if (socketTransferSupported()) return { threads: conf.threads, ownListeners: false };
    log.warn(
      { threads: conf.threads },
      `work_stealing needs sockets that move between threads (Node 24 on Unix); running on one thread`,
    );
    return undefined;
  }
  if (reusePortSupported()) return { threads: conf.threads, ownListeners: true };
  log.warn(
    { threads: conf.threads },
    `work_stealing: false needs SO_REUSEPORT, which ${process.platform} lacks; running on one thread`,
  );
  return undefined;
}

/**
 * Endpoints a thread layout cannot serve, as a ConfigError naming the
 * service: with own listeners every thread binds the same port (port 0 would
 * give each its own, and SO_REUSEPORT does not cover Unix sockets); with work
 * stealing, Node cannot move a Unix-socket connection to another thread.
 */
export function checkThreadEndpoints(plan: ThreadPlan, services: readonly Service[]): void {
  for (const s of services) {
    if (!(s instanceof ListeningService)) continue;
    for (const ep of s.endpoints) {
      if (ep.kind === 'uds') {
        throw PingoraError.explain(
          ErrorType.ConfigError,
          `threads: ${plan.threads}: service "${s.name}" listens on unix:${ep.path}, and connections on Unix sockets cannot be spread over threads; use threads: 1 for it`,
        );
      }
      if (plan.ownListeners && ep.port === 0) {
        throw PingoraError.explain(
          ErrorType.ConfigError,
          `work_stealing: false: service "${s.name}" listens on port 0, and every thread would get a port of its own; give a fixed port or use work_stealing: true`,
        );
      }
    }
  }
}

/** The main thread's service that runs the server threads until shutdown. */
export class ThreadPoolService implements Service {
  readonly name = 'threads';
  readonly pool: ThreadPool;
  readonly #plan: ThreadPlan;

  constructor(plan: ThreadPlan, log: Logger) {
    this.#plan = plan;
    this.pool = new ThreadPool({
      threads: plan.threads,
      entry: process.argv[1] as string,
      argv: process.argv.slice(2),
      execArgv: workerExecArgv(process.execArgv),
      ownListeners: plan.ownListeners,
      readyTimeoutMs: THREAD_READY_MS,
      onThreadExit: (index, code, replaced) => {
        if (replaced) log.error({ thread: index, code }, 'server thread died; starting another');
        else log.info({ thread: index, code }, 'server thread exited');
      },
    });
    // The main thread owns the TLS ticket keys: its keys go to shared memory before any thread starts.
    bindWaitingTicketKeys(this.pool);
  }

  /** SIGHUP: every thread reloads its services (TLS certificates of its stacks). */
  reload(): Promise<void> {
    this.pool.reload();
    return Promise.resolve();
  }

  async start(ctx: ServiceContext): Promise<void> {
    await this.pool.start();
    if (!this.#plan.ownListeners) {
      const pool = this.pool;
      threadRouting.dispatch = (key, socket) => pool.dispatch(key, socket);
    }
    ctx.logger.info(
      { threads: this.pool.size, workStealing: !this.#plan.ownListeners },
      'server threads ready',
    );
    ctx.ready();
    await abortOf(ctx.shutdown);
    const total = (ctx.conf.gracePeriodSeconds + ctx.conf.gracefulShutdownTimeoutSeconds) * 1000;
    const graceful = this.pool.stop({ graceful: true }, total + THREAD_SETTLE_MS);
    ctx.terminate.addEventListener(
      'abort',
      () => void this.pool.stop({ graceful: false }, THREAD_SETTLE_MS),
      { once: true },
    );
    await graceful;
    threadRouting.dispatch = undefined;
    ctx.logger.info('every server thread stopped');
  }
}

/**
 * The services the main thread runs: the pool, and (work stealing) the
 * listening services as acceptors that start once every thread is ready.
 */
export function mainThreadServices(
  pool: ThreadPoolService,
  plan: ThreadPlan,
  services: readonly Service[],
): Array<{ service: Service; dependsOn: string[] }> {
  const out: Array<{ service: Service; dependsOn: string[] }> = [{ service: pool, dependsOn: [] }];
  if (plan.ownListeners) return out;
  for (const s of services) {
    if (s instanceof ListeningService) out.push({ service: s, dependsOn: [pool.name] });
  }
  return out;
}

/** This server thread, when the process runs several. */
export function threadOf(): ServerThread | undefined {
  return threadRouting.thread;
}

/**
 * A server thread's run (runForever's path there): every service runs; no
 * signals, daemon or pid file (the main thread's); shutdown comes from the
 * main thread; the thread ends when the run is over. An uncaught error ends
 * this thread only, and the main thread starts another.
 */
export async function runThread(server: Server, thread: ServerThread, log: Logger): Promise<never> {
  const run = server.run();
  thread.onShutdown((req) => void run.shutdown(req));
  thread.onReload(() => void run.reload());
  run.ready.then(
    () => {
      log.info({ thread: thread.index }, 'server thread ready');
      thread.ready();
    },
    (err: unknown) => {
      log.error({ err, thread: thread.index }, 'server thread failed to start');
    },
  );
  await run.done;
  // In a worker thread this ends the thread, not the process.
  process.exit(0);
}

function abortOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/**
 * Memory every server thread of this process shares under `name` (e.g. a
 * Rate's counters: `new Rate(ms, { shared })`), or undefined when the server
 * runs on one thread and nothing needs sharing.
 */
export function sharedInt32(name: string, length: number): Int32Array | undefined {
  return threadRouting.thread?.sharedInt32(name, length);
}
