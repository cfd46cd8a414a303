/**
 * Where a proxy's CPU goes by thread, from /proc/<pid>/task: each thread's
 * user + kernel time and its voluntary (blocked, e.g. in epoll_wait) and
 * non-voluntary (preempted) context switches, grouped by the name Node gives
 * the thread (MainThread, WorkerThread for a worker_thread, V8Worker for V8's
 * GC and compiler helpers, libuv-worker), summed over the peer's processes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { groupPids } from './rss.ts';

export interface ThreadTimes {
  /** CPU seconds (user + kernel). */
  cpuSec: number;
  voluntary: number;
  nonVoluntary: number;
}

/** Per thread-name totals, keyed by name. */
export type ThreadSplit = Map<string, ThreadTimes>;

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Every thread of the group led by `pgid`, as `pid/tid` -> [name, times]. */
function threadsOf(pgid: number): Map<string, [string, ThreadTimes]> {
  const out = new Map<string, [string, ThreadTimes]>();
  for (const pid of groupPids(pgid)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const dir = `/proc/${pid}/task/${tid}`;
      const stat = read(`${dir}/stat`);
      if (stat === '') continue;
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = read(`${dir}/status`);
      const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      const nv = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      out.set(`${pid}/${tid}`, [
        read(`${dir}/comm`).trim(),
        {
          // USER_HZ is 100.
          cpuSec: (Number(rest[11] ?? 0) + Number(rest[12] ?? 0)) / 100,
          voluntary: Number(v?.[1] ?? 0),
          nonVoluntary: Number(nv?.[1] ?? 0),
        },
      ]);
    }
  }
  return out;
}

/**
 * Starts counting: the returned function gives what each thread name used
 * since (threads that started later count from zero; ones that ended are lost).
 */
export function threadSplitSince(pgid: number): () => ThreadSplit {
  const before = threadsOf(pgid);
  return () => {
    const split: ThreadSplit = new Map();
    for (const [key, [name, now]] of threadsOf(pgid)) {
      const then = before.get(key)?.[1];
      const t = split.get(name) ?? { cpuSec: 0, voluntary: 0, nonVoluntary: 0 };
      t.cpuSec += now.cpuSec - (then?.cpuSec ?? 0);
      t.voluntary += now.voluntary - (then?.voluntary ?? 0);
      t.nonVoluntary += now.nonVoluntary - (then?.nonVoluntary ?? 0);
      split.set(name, t);
    }
    return split;
  };
}
