/**
 * The runner's side of servers/gc-stats.mjs: the flags that preload it into
 * a Node peer, and the sum of the running totals its threads wrote (bytes
 * allocated on the V8 heap, GC time), read before and after a measured run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SERVERS_DIR } from './node-peer.ts';

/** The environment variable naming the stats files' path prefix. */
export const GC_STATS_ENV = 'PINGORA_BENCH_GC_STATS';

export interface GcStats {
  /** Bytes allocated on the V8 heap so far. */
  allocated: number;
  /** Milliseconds spent in GC pauses so far (all kinds). */
  gcMs: number;
  /** Collections so far. */
  gcs: number;
}

/** Node flags that make a peer write its GC stats under `$PINGORA_BENCH_GC_STATS`. */
export function gcStatsArgs(): string[] {
  return ['--import', join(SERVERS_DIR, 'gc-stats.mjs')];
}

/** The totals over every thread's file with prefix `base`; zeros when none was written yet. */
export function readGcStats(base: string): GcStats {
  const out: GcStats = { allocated: 0, gcMs: 0, gcs: 0 };
  const dir = dirname(base);
  const prefix = `${basename(base)}.`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const s = JSON.parse(readFileSync(join(dir, n), 'utf8')) as Partial<GcStats>;
      out.allocated += s.allocated ?? 0;
      out.gcMs += s.gcMs ?? 0;
      out.gcs += s.gcs ?? 0;
    } catch {
      // Caught mid-write: the next read has it.
    }
  }
  return out;
}
