/**
 * Child processes of the proxy benchmark. Every process it starts (origin,
 * proxies, wrk) is the leader of its own process group, logs to a file in the
 * run's temp dir, and is registered here so that a normal end, an error,
 * SIGINT or SIGTERM all kill every group it started, nothing else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface SpawnOptions {
  /** CPU list for `taskset -c` (e.g. "1"); undefined runs unpinned. */
  cpu?: string | undefined;
  /** File that receives the child's stdout and stderr. */
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Exit code once exited (null after a signal), undefined while running. */
  exitCode(): number | null | undefined;
  /** Resolves when the process has exited, with its exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /**
   * Stops the whole process group: `signal` (SIGTERM by default) to the
   * group, or to the leader only when `leaderOnly` (so it can exit cleanly,
   * e.g. to write a CPU profile), then SIGKILL to the group after `graceMs`.
   */
  stop(options?: {
    signal?: NodeJS.Signals;
    leaderOnly?: boolean;
    graceMs?: number;
  }): Promise<void>;
  /** The last `lines` lines of the child's log, for error messages. */
  logTail(lines?: number): string;
}

const live = new Set<Child>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Starts `cmd args` in a new process group, pinned to `cpu` when given. */
export function spawnChild(
  name: string,
  cmd: string,
  args: readonly string[],
  options: SpawnOptions,
): Child {
  const [file, argv] =
    options.cpu === undefined ? [cmd, [...args]] : ['taskset', ['-c', options.cpu, cmd, ...args]];
  const fd = openSync(options.logPath, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(file, argv, {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
  } finally {
    closeSync(fd);
  }
  const pid = proc.pid;
  if (pid === undefined) {
    throw PingoraError.explain(
      ErrorType.InternalError,
      `cannot start ${name}: ${file} did not spawn`,
    );
  }
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (c) => {
      code = c;
      live.delete(child);
      resolve(c);
    });
    proc.once('error', () => {
      code = null;
      live.delete(child);
      resolve(null);
    });
  });
  const child: Child = {
    name,
    pid,
    logPath: options.logPath,
    exited,
    exitCode: () => code,
    async stop({ signal = 'SIGTERM', leaderOnly = false, graceMs = 5000 } = {}) {
      if (code === undefined) {
        if (leaderOnly) {
          try {
            process.kill(pid, signal);
          } catch {
            // Already gone.
          }
        } else {
          killGroup(pid, signal);
        }
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // The leader may be gone while a grandchild (an nginx worker) lingers.
      killGroup(pid, 'SIGKILL');
    },
    logTail(lines = 15) {
      try {
        return readFileSync(options.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  live.add(child);
  return child;
}

/** Stops every child still running, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop({ graceMs: 2000 })));
}

/** Last-resort synchronous cleanup for the `exit` event. */
function killAllSync(): void {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
  live.clear();
}

let installed = false;

/**
 * Makes sure no child outlives the runner: on exit, on SIGINT/SIGTERM and on
 * an uncaught error every registered process group is killed.
 */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('uncaughtException', (err) => {
    process.stderr.write(
      `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killAllSync();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(
      `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    killAllSync();
    process.exit(1);
  });
}
