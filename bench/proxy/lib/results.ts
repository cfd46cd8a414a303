/**
 * What one measurement yields and how the runner keeps them: per peer, per
 * workload, the samples of every round plus the failures, if any.
 */
import type { WorkloadName } from './origin.ts';
import { type Summary, summarize } from './stats.ts';

export interface Sample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the proxy used during the measured run, in % of one core. */
  cpuPct: number;
  /** Requests per second of the proxy's own CPU time: its cost, less sensitive to a busy machine. */
  reqPerCpuSec: number;
  /** The proxy's user-mode CPU time per request (µs). */
  userUsPerReq: number;
  /** The proxy's kernel CPU time per request (µs). */
  sysUsPerReq: number;
  /** Bytes a Node peer allocated on its V8 heap per request; undefined for native peers. */
  allocBytesPerReq: number | undefined;
  /** A Node peer's GC pause time in % of its CPU time; undefined for native peers. */
  gcPctOfCpu: number | undefined;
  /** Peak RSS of the proxy's process group (MiB). */
  rssMiB: number;
  /** Connections the origin accepted from the proxy during the measured run. */
  upstreamConns: number;
  /** wrk socket errors and non-2xx/3xx answers in the measured run. */
  errors: number;
}

export interface Cell {
  samples: Sample[];
  failures: string[];
}

export class Results {
  readonly #cells = new Map<string, Cell>();

  cell(peer: string, workload: WorkloadName): Cell {
    const key = `${peer}\0${workload}`;
    let c = this.#cells.get(key);
    if (c === undefined) {
      c = { samples: [], failures: [] };
      this.#cells.set(key, c);
    }
    return c;
  }

  /** The median/min/max of one metric, or undefined without samples. */
  summary(peer: string, workload: WorkloadName, metric: keyof Sample): Summary | undefined {
    const values: number[] = [];
    for (const s of this.cell(peer, workload).samples) {
      const v = s[metric];
      if (v !== undefined) values.push(v);
    }
    return summarize(values);
  }
}
