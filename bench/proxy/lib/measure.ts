/**
 * One measurement: start a peer on a free port, check that it proxies the
 * workload correctly, warm up, read the origin's accept counter, measure with
 * wrk, read the counter and the peer's peak RSS, and stop the peer whatever
 * happened. A fresh process per measurement keeps peak RSS and upstream
 * connection counts per (peer, workload, round).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { TimeWindow } from './cpuprofile.ts';
import { GC_STATS_ENV, gcStatsArgs, readGcStats } from './gc-stats.ts';
import { freePort, HOST, httpGet, waitForPort } from './net.ts';
import { cpuProfileArgs } from './node-peer.ts';
import type { Options } from './options.ts';
import { type Origin, WORKLOADS, type WorkloadName } from './origin.ts';
import type { Peer, PeerContext } from './peer.ts';
import type { Sample } from './results.ts';
import { cpuTimes, peakRssMiB } from './rss.ts';
import { runWrk } from './wrk.ts';

export interface MeasureEnv {
  origin: Origin;
  options: Options;
  wrkScript: string;
  tmp: string;
  /** Root dir for CPU profiles when profiling, else undefined. */
  profileRoot: string | undefined;
  /**
   * Called with the peer's process group just before the measured run; the
   * function it returns is called right after it, and its result comes back
   * as Measurement.extra (e.g. the threads benchmark's per-thread CPU split).
   */
  around?: (pgid: number) => () => unknown;
  /**
   * Preload servers/gc-stats.mjs into Node peers (default true). Its 100 ms
   * flush runs on every thread of a peer, so it costs a peer with more
   * threads more CPU (the threads benchmark leaves it out unless asked).
   */
  gcStats?: boolean;
  /**
   * More warm-up after the timed one, 1 s at a time and at most `maxSec`,
   * while the peer still warms up: `check(pgid)` is called before each
   * second and the function it returns after it, true while still warming.
   */
  extraWarmup?: { check: (pgid: number) => () => boolean; maxSec: number };
}

export interface Measurement {
  sample: Sample;
  /** The CPU profile the peer wrote, when it was profiled. */
  profile: string | undefined;
  /** When the measured run went (monotonic clock, as in CPU profiles). */
  window: TimeWindow | undefined;
  /** What MeasureEnv.around gave, if set. */
  extra?: unknown;
}

export async function measure(
  peer: Peer,
  workload: WorkloadName,
  round: number,
  env: MeasureEnv,
): Promise<Measurement> {
  const { options: o, origin } = env;
  const w = WORKLOADS[workload];
  const id = `${peer.name}-${workload}-r${round}`;
  const dir = join(env.tmp, id);
  mkdirSync(dir, { recursive: true });
  const profileDir =
    env.profileRoot !== undefined && peer.node ? join(env.profileRoot, id) : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const ctx: PeerContext = {
    originHost: origin.host,
    originPort: origin.port,
    port: await freePort(),
    dir,
    cpu: o.proxyCpu,
    nodeArgs: peer.node
      ? [
          ...o.nodeFlags,
          ...(env.gcStats === false ? [] : gcStatsArgs()),
          ...(profileDir === undefined ? [] : cpuProfileArgs(profileDir)),
        ]
      : [],
    connections: o.connections,
  };
  // Node peers inherit it and write their allocation and GC totals there.
  const gcBase = join(dir, 'gc-stats');
  process.env[GC_STATS_ENV] = gcBase;
  const child = peer.start(ctx);
  delete process.env[GC_STATS_ENV];
  let sample: Sample;
  let window: TimeWindow | undefined;
  let extra: unknown;
  try {
    await waitForPort(ctx.port, child, 20_000);
    const check = await httpGet(ctx.port, w.path);
    if (check.status !== 200 || check.body.length !== w.bodyBytes) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${peer.name} answered GET ${w.path} with ${check.status} and ${check.body.length} bytes, want 200 and ${w.bodyBytes}`,
      );
    }
    const url = `http://${HOST}:${ctx.port}${w.path}`;
    const wrk = { connections: o.connections, threads: o.threads, cpu: o.loadCpu };
    if (o.warmupSec > 0) {
      await runWrk(
        url,
        { ...wrk, durationSec: o.warmupSec },
        env.wrkScript,
        join(dir, 'wrk-warmup.log'),
      );
    }
    const more = env.extraWarmup;
    for (let sec = 0; more !== undefined && sec < more.maxSec; sec++) {
      const warming = more.check(child.pid);
      await runWrk(url, { ...wrk, durationSec: 1 }, env.wrkScript, join(dir, 'wrk-warmup.log'));
      if (!warming()) break;
    }
    // Counted over the measured run only: when the warm-up's wrk exits, a
    // proxy rightly closes the upstream connections of the requests it
    // abandons, and replaces them during the run; a pooling proxy stays at or
    // under the client's connection count, a non-pooling one far above it.
    const before = await origin.accepts();
    const cpuBefore = cpuTimes(child.pid);
    const gcBefore = readGcStats(gcBase);
    const aroundEnd = env.around?.(child.pid);
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const r = await runWrk(
      url,
      { ...wrk, durationSec: o.durationSec },
      env.wrkScript,
      join(dir, 'wrk.log'),
    );
    const cpuAfter = cpuTimes(child.pid);
    extra = aroundEnd?.();
    const gcAfter = readGcStats(gcBase);
    const user = cpuAfter.user - cpuBefore.user;
    const sys = cpuAfter.sys - cpuBefore.sys;
    const cpu = user + sys;
    window = { startUs, endUs: Number(process.hrtime.bigint() / 1000n) };
    const after = await origin.accepts();
    if (child.exitCode() !== undefined) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${peer.name} exited during the run (code ${child.exitCode()}):\n${child.logTail()}`,
      );
    }
    sample = {
      rps: r.rps,
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      cpuPct: (100 * cpu * 1e6) / r.durationUs,
      reqPerCpuSec: cpu > 0 ? r.requests / cpu : 0,
      userUsPerReq: r.requests > 0 ? (user * 1e6) / r.requests : 0,
      sysUsPerReq: r.requests > 0 ? (sys * 1e6) / r.requests : 0,
      allocBytesPerReq:
        peer.node && r.requests > 0
          ? (gcAfter.allocated - gcBefore.allocated) / r.requests
          : undefined,
      gcPctOfCpu:
        peer.node && cpu > 0 ? (100 * (gcAfter.gcMs - gcBefore.gcMs)) / (cpu * 1000) : undefined,
      rssMiB: peakRssMiB(child.pid),
      // The later stub_status read is itself one accepted connection.
      upstreamConns: after - before - 1,
      errors: r.errors,
    };
  } finally {
    await peer.stop(child, ctx);
  }
  const profile =
    profileDir === undefined
      ? undefined
      : // A gateway that re-executes itself (its young-generation flag, same pid) leaves two
        // profiles: the short one of the process before the exec and the one of the run.
        readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(profileDir, f))
          .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  return { sample, profile, window, extra };
}
