/**
 * The nginx-style graceful upgrade, old side: start the new process (same
 * binary, arguments and environment unless told otherwise) with the
 * listening sockets as inherited descriptors, and wait until it says it is
 * ready. The successor is detached: it outlives the old process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { encodeListenFds, LISTEN_FDS_ENV } from './inherited-listeners.ts';
import { READY_FD, UPGRADE_READY_ENV } from './upgrade-ready.ts';

export interface SuccessorListener {
  /** The name the successor looks its listener up by (`<service>/<endpoint>`). */
  readonly key: string;
  /** The listening descriptor in this process. */
  readonly fd: number;
}

export interface SuccessorOptions {
  readonly listeners: readonly SuccessorListener[];
  /** How long the successor may take to report ready before it is killed. */
  readonly readyTimeoutMs: number;
  /** Default: this process's Node binary, execArgv and arguments. */
  readonly command?: string;
  readonly args?: readonly string[];
  /** Default: this process's environment. The upgrade variables are added. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Successor {
  readonly pid: number;
}

/** Why a successor did not take over; `code` tells a timeout from an early exit. */
export class SuccessorError extends Error {
  readonly code: 'spawn' | 'exit' | 'timeout';
  constructor(code: 'spawn' | 'exit' | 'timeout', message: string) {
    super(message);
    this.name = 'SuccessorError';
    this.code = code;
  }
}

/** Resolves once the successor reported ready; rejects (and kills it) otherwise. */
export function startSuccessor(options: SuccessorOptions): Promise<Successor> {
  const fds = new Map<string, number>();
  // Descriptor n of the child is stdio[n]: 3 is the ready pipe, listeners follow.
  const stdio: Array<'ignore' | 'inherit' | 'pipe' | number> = ['ignore', 'inherit', 'inherit'];
  stdio[READY_FD] = 'pipe';
  for (const l of options.listeners) {
    fds.set(l.key, stdio.length);
    stdio.push(l.fd);
  }
  const env = {
    ...(options.env ?? process.env),
    [LISTEN_FDS_ENV]: encodeListenFds(fds),
    [UPGRADE_READY_ENV]: String(READY_FD),
  };
  let child: ChildProcess;
  try {
    child = spawn(
      options.command ?? process.execPath,
      options.args ?? [...process.execArgv, ...process.argv.slice(1)],
      { detached: true, stdio, env },
    );
  } catch (err) {
    return Promise.reject(
      new SuccessorError('spawn', `cannot start the new process: ${(err as Error).message}`),
    );
  }
  return new Promise((resolve, reject) => {
    const pipe = child.stdio[READY_FD] as NodeJS.ReadableStream & { destroy(): void };
    let got = '';
    let settled = false;
    const finish = (err: SuccessorError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipe.removeAllListeners('data');
      pipe.destroy();
      child.removeAllListeners('exit');
      if (err !== undefined) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(err);
        return;
      }
      child.unref();
      resolve({ pid: child.pid as number });
    };
    const timer = setTimeout(
      () =>
        finish(
          new SuccessorError(
            'timeout',
            `the new process (pid ${child.pid}) was not ready within ${options.readyTimeoutMs} ms`,
          ),
        ),
      options.readyTimeoutMs,
    );
    child.once('error', (err) =>
      finish(new SuccessorError('spawn', `cannot start the new process: ${err.message}`)),
    );
    child.once('exit', (code, signal) =>
      finish(
        new SuccessorError(
          'exit',
          `the new process (pid ${child.pid}) exited before it was ready (code ${code}, signal ${signal})`,
        ),
      ),
    );
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      got = (got + chunk).slice(-16);
      if (got.includes('ready')) finish(undefined);
    });
  });
}
