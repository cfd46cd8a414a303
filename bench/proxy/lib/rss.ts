/**
 * Resources of a peer from /proc: peak memory as the sum of VmHWM (the
 * kernel's high-water mark of resident memory) over every process of its
 * process group, so nginx's master + worker count together and a single Node
 * process counts alone; and CPU time, to tell whether the proxy's CPU was the
 * bottleneck of a run (near 100%) or the load generator's.
 */
import { readdirSync, readFileSync } from 'node:fs';

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Pids whose process group is `pgid` (Linux /proc). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrEmpty(`/proc/${entry}/stat`);
    // Fields after the parenthesised command name: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid) pids.push(Number(entry));
  }
  return pids;
}

/** Peak resident set in MiB, summed over the group led by `pgid`; 0 when unreadable. */
export function peakRssMiB(pgid: number): number {
  let kib = 0;
  for (const pid of groupPids(pgid)) {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readOrEmpty(`/proc/${pid}/status`));
    if (m !== null) kib += Number(m[1]);
  }
  return kib / 1024;
}

/** Current resident set in MiB (VmRSS), summed over the group led by `pgid`; 0 when unreadable. */
export function rssMiB(pgid: number): number {
  let kib = 0;
  for (const pid of groupPids(pgid)) {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readOrEmpty(`/proc/${pid}/status`));
    if (m !== null) kib += Number(m[1]);
  }
  return kib / 1024;
}

/** CPU time used so far by a process group, split as the kernel accounts it. */
export interface CpuTimes {
  /** Seconds in user mode (our JavaScript, V8, libuv). */
  user: number;
  /** Seconds in the kernel on the process's behalf (syscalls, page faults). */
  sys: number;
}

/** CPU time (user and system, in seconds) used so far by the group led by `pgid`. */
export function cpuTimes(pgid: number): CpuTimes {
  let user = 0;
  let sys = 0;
  for (const pid of groupPids(pgid)) {
    const stat = readOrEmpty(`/proc/${pid}/stat`);
    // After the command name: state(0) ... utime(11) stime(12).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(rest[11] ?? 0);
    sys += Number(rest[12] ?? 0);
  }
  // Linux reports in USER_HZ, which is 100 on every architecture Node runs on.
  return { user: user / 100, sys: sys / 100 };
}

/** CPU time (user + system, in seconds) used so far by the group led by `pgid`. */
export function cpuSeconds(pgid: number): number {
  const t = cpuTimes(pgid);
  return t.user + t.sys;
}
