/**
 * The CLI path of a Server (Pingora's run_forever): `-t` checks and exits,
 * daemon mode detaches, then the services run until a signal: SIGINT fast
 * shutdown, SIGTERM graceful shutdown, SIGQUIT graceful upgrade (a `-u`
 * process has joined our listeners), SIGUSR2 graceful upgrade by starting the
 * new process ourselves (upgrade.ts), SIGHUP reloads TLS certificates. This
 * file and the CLI entry are the only places that call process.exit.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { CLI_USAGE } from './cli-options.ts';
import {
  daemonize,
  dropPrivileges,
  enterDaemon,
  isDaemonChild,
  notifyDaemonParent,
  removePidFile,
} from './daemon.ts';
import type { Server } from './server.ts';
import type { RunningServer } from './server-run.ts';
import { planThreads, runThread, ThreadPoolService, threadOf } from './threads.ts';
import {
  handOver,
  prepareJoin,
  reportReadyToPredecessor,
  warnIfQueuedMayReset,
} from './upgrade.ts';

/** SIGINT: the process exits this long after the signal, whatever is still running. */
const FAST_EXIT_MS = 50;

/** The one-line message a user sees for an error that stops the process. */
export function describeFatal(err: unknown): string {
  if (PingoraError.is(err)) {
    if (err.type === ErrorType.ConfigError && err.context !== undefined) {
      return `configuration error: ${err.context}`;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Prints the error on stderr and exits with `code`. */
export function exitWithError(err: unknown, code = 1): never {
  process.stderr.write(`${describeFatal(err)}\n`);
  process.exit(code);
}

/** `--help`: usage on stdout, exit 0. */
export function exitWithUsage(): never {
  process.stdout.write(CLI_USAGE);
  process.exit(0);
}

/** Runs `server` until a signal ends it, then exits the process. */
export async function runForever(server: Server): Promise<never> {
  const conf = server.configuration;
  const log = server.logger.child({ service: 'server' });
  if (server.options.test === true) {
    try {
      server.testConfiguration();
    } catch (err) {
      exitWithError(err);
    }
    process.stdout.write(
      `configuration ${server.source?.name ?? '(defaults)'} test is successful\n`,
    );
    process.exit(0);
  }
  const thread = threadOf();
  if (thread !== undefined) return runThread(server, thread, log);
  // Before detaching, so a typo in the file is reported where the operator typed the command.
  try {
    server.checkConfigKeys();
  } catch (err) {
    exitWithError(err);
  }
  if (conf.daemon && !isDaemonChild()) {
    log.info('daemonizing');
    process.exit(await daemonize(conf, log));
  }
  let pidFile: string | undefined;
  if (conf.daemon) {
    try {
      pidFile = enterDaemon(conf, log);
    } catch (err) {
      log.error({ err }, 'daemon setup failed');
      exitWithError(err);
    }
  }
  if (server.options.upgrade === true) prepareJoin(log);

  let exitCode = 0;
  let run: RunningServer | undefined;
  let signalled = false;
  let exiting = false;
  const exit = async (code: number, error?: unknown, origin?: string): Promise<never> => {
    exiting = true;
    await server.runExitHooks(error === undefined ? { code } : { code, error, origin });
    if (pidFile !== undefined) removePidFile(pidFile);
    log.info({ exitCode: code }, 'exiting');
    process.exit(code);
  };
  // Installed before run(): the first phases are published synchronously by
  // it, and a signal seen after them must find its handler. Signals are
  // delivered from the event loop, so `run` is set by the time one arrives.
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = true;
    log.info({ signal }, `${signal} received`);
    if (signal === 'SIGINT') {
      // Pingora's fast shutdown: connections are cut, nothing waits for them.
      void run?.shutdown({ graceful: false });
      setTimeout(() => void exit(exitCode), FAST_EXIT_MS);
    } else if (signal === 'SIGQUIT') {
      warnIfQueuedMayReset(log);
      void run?.shutdown({ graceful: true, upgrade: true });
    } else if (signal === 'SIGUSR2') {
      void run?.shutdown({ graceful: true, upgrade: true, handOver: () => handOver(conf, log) });
    } else void run?.shutdown({ graceful: true });
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] as const) process.on(s, onSignal);
  // SIGHUP reloads what can change in place (TLS certificates), as nginx does.
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP' }, 'SIGHUP received; reloading');
    void run?.reload();
  });
  // A bug that escapes every handler (an unhandled rejection arrives here
  // too, with its origin) still ends the process, as Node would, but logged
  // where the operator looks, after the exit hooks (error reporters flush)
  // and without leaving a stale pid file. A second one while exiting ends it at once.
  process.on('uncaughtException', (err, origin) => {
    log.fatal({ err, origin }, 'uncaught exception; exiting');
    if (exiting) {
      if (pidFile !== undefined) removePidFile(pidFile);
      process.exit(1);
    }
    void exit(1, err, origin);
  });
  try {
    const plan = planThreads(conf, log);
    run = server.run(
      plan === undefined ? undefined : { plan, pool: new ThreadPoolService(plan, log) },
    );
  } catch (err) {
    if (pidFile !== undefined) removePidFile(pidFile);
    exitWithError(err);
  }
  const running = run;
  // Signal handlers do not keep the event loop alive; a server with only background work must stay up.
  const keepAlive = setInterval(() => {}, 1 << 30);

  running.ready.then(
    () => {
      if (conf.daemon) {
        try {
          dropPrivileges(conf, log);
        } catch (err) {
          log.error({ err }, 'cannot drop privileges; stopping');
          exitCode = 1;
          void running.shutdown({ graceful: false });
          return;
        }
        notifyDaemonParent(log);
      }
      reportReadyToPredecessor(log);
    },
    (err: unknown) => {
      // Stopped by a signal before every service was up: a requested stop, not a failure.
      if (signalled) return;
      log.error({ err }, 'startup failed');
      process.stderr.write(`${describeFatal(err)}\n`);
      exitCode = 1;
    },
  );
  await running.done;
  clearInterval(keepAlive);
  return exit(exitCode);
}
