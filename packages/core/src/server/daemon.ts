/**
 * Daemon mode (Pingora's daemon.rs) for Node, which cannot fork: the parent
 * re-spawns itself detached in a new session with stdio to error_log (or
 * /dev/null) and exits, at once or, with daemon_wait_for_ready, once the
 * child writes "ready" on an inherited pipe. The child side writes the pid
 * file, changes directory and drops to user/group.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import type { ServerConf } from './server-conf.ts';

/** Set in the daemon child's environment: `1`, or `fd3` when the parent waits on fd 3. */
export const DAEMON_ENV = 'PINGORA_TS_DAEMON';
const NOTIFY_FD = 3;

/** True in the detached child started by daemonize(). */
export function isDaemonChild(): boolean {
  const v = process.env[DAEMON_ENV];
  return v === '1' || v === 'fd3';
}

/**
 * Parent side: starts the detached child and resolves with the exit code the
 * parent should use: 0 once the child is started (or ready, with
 * daemon_wait_for_ready), 1 if it exits first or the wait times out.
 */
export function daemonize(conf: ServerConf, logger: Logger): Promise<number> {
  moveOldPidFile(conf.pidFile, logger);
  const out = conf.errorLog !== undefined ? openSync(conf.errorLog, 'a') : 'ignore';
  const wait = conf.daemonWaitForReady;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', out, out, wait ? 'pipe' : 'ignore'],
    env: { ...process.env, [DAEMON_ENV]: wait ? 'fd3' : '1' },
  });
  if (typeof out === 'number') closeSync(out);
  return new Promise((resolveCode) => {
    let settled = false;
    const finish = (code: number, message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      logger.info({ daemonPid: child.pid }, message);
      child.unref();
      (child.stdio[NOTIFY_FD] as NodeJS.ReadableStream | null)?.removeAllListeners();
      (child.stdio[NOTIFY_FD] as { destroy?: () => void } | null)?.destroy?.();
      resolveCode(code);
    };
    child.once('error', (err) => finish(1, `cannot start the daemon: ${err.message}`));
    child.once('exit', (code, signal) =>
      finish(1, `daemon exited before it was ready (code ${code}, signal ${signal})`),
    );
    let timer: NodeJS.Timeout | undefined;
    if (!wait) {
      child.once('spawn', () => finish(0, 'daemon started'));
      return;
    }
    timer = setTimeout(
      () => finish(1, `daemon not ready within ${conf.daemonReadyTimeoutSeconds}s`),
      conf.daemonReadyTimeoutSeconds * 1000,
    );
    let got = '';
    const pipe = child.stdio[NOTIFY_FD] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      got = (got + chunk).slice(-64);
      if (got.includes('ready')) finish(0, 'daemon ready');
    });
  });
}

/** Child side: tells a waiting parent that bootstrap is done and services listen. */
export function notifyDaemonParent(logger: Logger): void {
  if (process.env[DAEMON_ENV] !== 'fd3') return;
  try {
    writeFileSync(NOTIFY_FD, 'ready\n');
    closeSync(NOTIFY_FD);
  } catch (err) {
    logger.warn({ err }, 'could not notify the parent process');
  }
}

/** Child side: umask, pid file (absolute, written before any chdir) and working directory. */
export function enterDaemon(conf: ServerConf, logger: Logger): string {
  // Files we create are open to our group but not to everyone (Pingora's umask).
  process.umask(0o007);
  const pidFile = resolve(conf.pidFile);
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
    // Readable by all, as pid files are, whatever the umask: after dropping
    // privileges we still read it to check it is ours before removing it.
    chmodSync(pidFile, 0o644);
  } catch (err) {
    throw PingoraError.because(
      ErrorType.FileCreateError,
      `cannot write the pid file ${pidFile}`,
      err,
    );
  }
  if (conf.workingDirectory !== undefined) {
    try {
      process.chdir(conf.workingDirectory);
    } catch (err) {
      throw PingoraError.because(
        ErrorType.ConfigError,
        `cannot change to working_directory ${conf.workingDirectory}`,
        err,
      );
    }
  }
  logger.info({ pidFile, cwd: process.cwd() }, 'daemon running');
  return pidFile;
}

/** Removes the pid file if it still holds our pid (a newer daemon may own it now). */
export function removePidFile(pidFile: string): void {
  try {
    if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile);
  } catch {
    // Already gone: nothing to clean up.
  }
}

/** Switches to the configured group, then user (setgid must come first). Needs root. */
export function dropPrivileges(conf: ServerConf, logger: Logger): void {
  if (conf.user === undefined && conf.group === undefined) return;
  try {
    if (conf.group !== undefined) process.setgid?.(conf.group);
    if (conf.user !== undefined) {
      if (process.getuid?.() === 0)
        (process as { initgroups?: (user: string, group: string | number) => void }).initgroups?.(
          conf.user,
          conf.group ?? process.getgid?.() ?? 0,
        );
      process.setuid?.(conf.user);
    }
  } catch (err) {
    throw PingoraError.because(
      ErrorType.ConfigError,
      `cannot switch to user ${conf.user ?? '(unchanged)'} / group ${conf.group ?? '(unchanged)'}`,
      err,
    );
  }
  logger.info({ user: conf.user, group: conf.group }, 'dropped privileges');
}

/** A previous pid file is kept as `<pid_file>.old`, as Pingora does. */
function moveOldPidFile(path: string, logger: Logger): void {
  if (!existsSync(path)) return;
  try {
    renameSync(path, `${path}.old`);
  } catch (err) {
    logger.warn({ err, path }, 'could not move the old pid file');
  }
}
