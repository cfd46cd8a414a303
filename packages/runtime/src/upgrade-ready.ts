/**
 * The nginx-style graceful upgrade, new side: once every service is up, tell
 * the old process on the pipe it left at descriptor 3, so it stops accepting
 * only after we do.
 */
import { closeSync, writeSync } from 'node:fs';

/** Set in a successor's environment: the descriptor to write `ready` to. */
export const UPGRADE_READY_ENV = 'PINGORA_TS_UPGRADE_READY_FD';
export const READY_FD = 3;

/** True in a process started by startSuccessor() that has not reported yet. */
export function isSuccessor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[UPGRADE_READY_ENV] !== undefined;
}

/**
 * Tells the old process we are ready (once). Returns false when this process
 * is no successor; throws when the old process is gone (the pipe is closed).
 */
export function notifyPredecessor(env: NodeJS.ProcessEnv = process.env): boolean {
  const text = env[UPGRADE_READY_ENV];
  if (text === undefined) return false;
  delete env[UPGRADE_READY_ENV];
  const fd = Number.parseInt(text, 10);
  try {
    writeSync(fd, 'ready\n');
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing to release.
    }
  }
  return true;
}
