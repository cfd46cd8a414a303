/**
 * The young generation a proxy process wants. V8 sizes the young generation
 * from the heap limit (up to 64 MiB per semi-space on a large machine), and a
 * proxy's short-lived garbage then grows it to that size: RSS rises by over
 * 100 MiB under load and stays there. 8 MiB semi-spaces keep the scavenge
 * share of CPU where the default has it (measured with `npm run bench:proxy`,
 * bench/proxy/README.md). V8 reads the size only at start, so a process started
 * without it re-executes itself once with the flag (same pid, stdio, argv).
 */
import { isMainThread } from 'node:worker_threads';

/** Semi-space size the sample gateways run with, in MiB. */
export const PROXY_SEMI_SPACE_MIB = 8;

const SIZE_FLAGS = /--(max-semi-space-size|max-young-generation-size|semi-space-growth-factor)\b/;

/**
 * Makes this process run with `--max-semi-space-size=<mib>` unless a young
 * generation size was already chosen (command line or NODE_OPTIONS). Call it
 * first in a program's main module, before it opens files or sockets: the
 * process image is replaced (process.execve), so nothing started before
 * survives. Returns without doing anything in a worker thread, where
 * process.execve is missing, or when the flag is already in effect.
 */
export function useProxyYoungGeneration(mib: number = PROXY_SEMI_SPACE_MIB): void {
  if (!isMainThread || typeof process.execve !== 'function') return;
  if (process.execArgv.some((a) => SIZE_FLAGS.test(a))) return;
  if (SIZE_FLAGS.test(process.env.NODE_OPTIONS ?? '')) return;
  process.execve(process.execPath, [
    process.execPath,
    `--max-semi-space-size=${mib}`,
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
}

/**
 * `execArgv` without the young generation flags, for worker threads: Node
 * refuses V8 heap flags in a Worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV),
 * and the flag given to the process applies to every thread's heap anyway.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !SIZE_FLAGS.test(a));
}
