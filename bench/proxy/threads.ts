/**
 * The threads benchmark (`npm run bench:proxy:threads`): the gateway on one
 * thread, on `threads: 2` (one process, work stealing) and as 2 processes
 * on one SO_REUSEPORT port, measured like the proxy benchmark (same origin,
 * wrk, pinning and rounds), plus what only this comparison needs: requests
 * per proxy CPU-second against one thread (the gate: threads 2 >= 0.9x), the
 * upstream reuse in the measured run, and each thread's (or process's) pool
 * reuse from the totals the gateway logs when it stops.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCleanup, stopAll } from './lib/children.ts';
import { readGcStats } from './lib/gc-stats.ts';
import { describeMachine } from './lib/machine.ts';
import { type MeasureEnv, measure } from './lib/measure.ts';
import { parseOptions } from './lib/options.ts';
import { startOrigin, type WorkloadName } from './lib/origin.ts';
import type { Peer } from './lib/peer.ts';
import type { Sample } from './lib/results.ts';
import { type Summary, summarize } from './lib/stats.ts';
import { type ThreadSplit, threadSplitSince } from './lib/thread-split.ts';
import { ensureTools } from './lib/tools.ts';
import { writeWrkScript } from './lib/wrk.ts';
import { pingoraTs, pingoraTsProcs2, pingoraTsThreads2 } from './peers/pingora-ts.ts';

const PEERS: readonly Peer[] = [pingoraTs, pingoraTsThreads2, pingoraTsProcs2];
/** The gate: threads 2 serves at least this share of threads 1's requests per CPU-second. */
const PER_CPU_GATE = 0.9;
/** Upstream requests on a reused connection at steady state. */
const REUSE_GATE = 0.99;
/**
 * Warm-up goes on (1 s at a time, at most WARMUP_EXTRA_MAX_SEC) while V8's
 * helper threads use more than this share of the peer's CPU: they compile
 * hot code then, and each thread (isolate) compiles its own, so `threads: 2`
 * needs twice the requests of one thread to warm up. At steady state the
 * helpers (GC) take 2-5%.
 */
const WARMUP_V8_SHARE = 0.1;
const WARMUP_EXTRA_MAX_SEC = 20;

interface PoolTotals {
  pid: number;
  thread: number;
  newConnections: number;
  reusedConnections: number;
}

interface Run {
  sample: Sample;
  durationSec: number;
  pools: PoolTotals[];
  /** Requests in the measured run (req/s x duration). */
  requests: number;
  /** CPU and context switches by thread name over the measured run. */
  split: ThreadSplit | undefined;
  /** Garbage collections (all threads) over the measured run. */
  gcs: number | undefined;
}

/** What the threads benchmark reads around each measured run. */
interface Around {
  split: ThreadSplit;
  gcs: number;
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** The `upstream pool totals` lines the gateway's threads or processes logged when they stopped. */
function poolTotals(logText: string): PoolTotals[] {
  const out: PoolTotals[] = [];
  for (const line of logText.split('\n')) {
    if (!line.includes('"upstream pool totals"')) continue;
    try {
      const o = JSON.parse(line) as PoolTotals & { msg: string };
      out.push({
        pid: o.pid,
        thread: o.thread,
        newConnections: o.newConnections,
        reusedConnections: o.reusedConnections,
      });
    } catch {
      // Not a JSON line: skip.
    }
  }
  return out;
}

const pct = (x: number | undefined, digits = 2) =>
  x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(digits)}%`;
const range = (s: Summary | undefined, digits = 0) =>
  s === undefined
    ? '–'
    : s.n === 1
      ? s.median.toFixed(digits)
      : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** The median of one sample field over the rounds. */
function med(rs: readonly Run[], field: (s: Sample, r: Run) => number, digits: number): string {
  const m = summarize(rs.map((r) => field(r.sample, r)).filter((v) => Number.isFinite(v)))?.median;
  return m === undefined ? '–' : m.toFixed(digits);
}

/**
 * Each thread's (or process's) pool reuse, the lowest over the rounds: the
 * n-th thread by id, or the n-th process by pid, of every run.
 */
function poolColumn(rs: readonly Run[], unit: 'thread' | 'process'): string {
  const worst = new Map<number, number>();
  for (const r of rs) {
    const sorted = [...r.pools].sort((a, b) =>
      unit === 'thread' ? a.thread - b.thread : a.pid - b.pid,
    );
    sorted.forEach((t, i) => {
      const ratio = t.reusedConnections / Math.max(1, t.newConnections + t.reusedConnections);
      worst.set(i, Math.min(worst.get(i) ?? 1, ratio));
    });
  }
  if (worst.size === 0) return '–';
  return [...worst].map(([i, ratio]) => `${unit} ${i + 1}: ${pct(ratio)}`).join(', ');
}

/**
 * CPU µs per request by thread: the event loops (the main thread with one
 * thread or per process, the worker threads with `threads: N`), the main
 * thread when it only accepts, V8's helper threads (GC, compilers), the rest.
 */
function splitColumns(rs: readonly Run[]): [string, string, string] {
  const usPerReq = (name: (n: string, threaded: boolean) => boolean) =>
    med(
      rs,
      (_s, r) => {
        if (r.split === undefined) return Number.NaN;
        const threaded = r.split.has('WorkerThread');
        let sec = 0;
        for (const [n, t] of r.split) if (name(n, threaded)) sec += t.cpuSec;
        return (sec * 1e6) / Math.max(1, r.requests);
      },
      1,
    );
  const loops = usPerReq((n, threaded) => (threaded ? n === 'WorkerThread' : n === 'MainThread'));
  const acceptor = usPerReq((n, threaded) => threaded && n === 'MainThread');
  const v8 = usPerReq((n) => n === 'V8Worker');
  const rest = usPerReq((n) => !['WorkerThread', 'MainThread', 'V8Worker'].includes(n));
  const perK = (f: 'voluntary' | 'nonVoluntary') =>
    med(
      rs,
      (_s, r) => {
        if (r.split === undefined) return Number.NaN;
        let n = 0;
        for (const t of r.split.values()) n += t[f];
        return (1000 * n) / Math.max(1, r.requests);
      },
      1,
    );
  const gcs = med(
    rs,
    (_s, r) => (r.gcs === undefined ? Number.NaN : (1000 * r.gcs) / Math.max(1, r.requests)),
    2,
  );
  return [
    `${loops} / ${acceptor} / ${v8} / ${rest}`,
    `${perK('voluntary')} / ${perK('nonVoluntary')}`,
    gcs,
  ];
}

function report(
  runs: Map<string, Run[]>,
  workloads: readonly WorkloadName[],
  command: string,
): string {
  const out: string[] = [];
  const m = describeMachine();
  out.push('## Threads: one thread, `threads: 2`, 2 processes', '');
  out.push(`Machine: ${JSON.stringify(m)}`, '', `Command: \`${command}\``, '');
  const gates: string[] = [];
  for (const w of workloads) {
    out.push(`### ${w}`, '');
    out.push(
      '| design | req/s | proxy CPU % | req per CPU-s | per CPU-s vs threads 1 | user / kernel µs per req | µs per req: event loops / acceptor / V8 helpers / other threads | context switches per 1k req: blocked / preempted | GCs per 1k req | GC % of CPU | peak RSS MiB | upstream conns (run) | run reuse | pool reuse per thread / process (whole life, lowest round) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    const key = (p: Peer) => `${p.name}\0${w}`;
    const perCpu = (p: Peer) =>
      summarize((runs.get(key(p)) ?? []).map((r) => r.sample.reqPerCpuSec));
    const base = perCpu(pingoraTs)?.median;
    for (const p of PEERS) {
      const rs = runs.get(key(p)) ?? [];
      if (rs.length === 0) continue;
      const rps = summarize(rs.map((r) => r.sample.rps));
      const cpu = summarize(rs.map((r) => r.sample.cpuPct));
      const pc = perCpu(p);
      const reuse = summarize(
        rs.map((r) => 1 - r.sample.upstreamConns / Math.max(1, r.sample.rps * r.durationSec)),
      );
      const poolCol = poolColumn(rs, p === pingoraTsProcs2 ? 'process' : 'thread');
      const ratio = base === undefined || pc === undefined ? undefined : pc.median / base;
      const [byThread, switches, gcs] = splitColumns(rs);
      out.push(
        `| ${p.name} | ${range(rps)} | ${range(cpu)} | ${range(pc)} | ${ratio === undefined ? '–' : `${ratio.toFixed(2)}x`} | ${med(rs, (x) => x.userUsPerReq, 1)} / ${med(rs, (x) => x.sysUsPerReq, 1)} | ${byThread} | ${switches} | ${gcs} | ${med(rs, (x) => x.gcPctOfCpu ?? Number.NaN, 1)} | ${range(summarize(rs.map((r) => r.sample.rssMiB)), 1)} | ${range(summarize(rs.map((r) => r.sample.upstreamConns)))} | ${pct(reuse?.median)} | ${poolCol} |`,
      );
      if (p === pingoraTsThreads2 && ratio !== undefined) {
        gates.push(
          `${w}: threads 2 per CPU-second = ${ratio.toFixed(2)}x threads 1 (gate >= ${PER_CPU_GATE}x): ${ratio >= PER_CPU_GATE ? 'PASS' : 'FAIL'}`,
        );
      }
      if (p !== pingoraTsProcs2 && reuse !== undefined) {
        gates.push(
          `${w}: ${p.name} upstream reuse in the run ${pct(reuse.median)} (gate >= ${pct(REUSE_GATE, 0)}): ${reuse.median >= REUSE_GATE ? 'PASS' : 'FAIL'}`,
        );
      }
    }
    out.push('');
  }
  out.push('### Gates', '', ...gates.map((g) => `- ${g}`), '');
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  installCleanup();
  // Ours only: the GC columns need the gc-stats preload, which costs each thread of a peer a
  // flush every 100 ms (idle: 14 ms of CPU per second with one thread, 61 with threads: 2).
  const args = process.argv.slice(2);
  const gcStats = args.includes('--gc-stats');
  if (args.includes('--help')) {
    process.stdout.write(
      '  --gc-stats            (threads benchmark) preload the GC counters for the GC columns;\n' +
        '                        off by default: its timers cost a peer with more threads more CPU\n',
    );
  }
  const options = parseOptions(
    args.filter((a) => a !== '--gc-stats'),
    PEERS.map((p) => p.name),
  );
  if (options === undefined) return;
  const command = ['npm run bench:proxy:threads --', ...process.argv.slice(2)].join(' ');
  ensureTools(['wrk', 'nginx'], options.install);
  const peers = PEERS.filter((p) => options.peers.includes(p.name));
  for (const p of peers) {
    const why = p.unavailable();
    if (why !== undefined) throw new Error(`${p.name}: ${why}`);
  }
  pingoraTs.prepare?.();
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-threads-'));
  // nginx workers run as `nobody` when started as root: they must reach the files.
  chmodSync(tmp, 0o755);
  if (!options.keepTmp) process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const runs = new Map<string, Run[]>();
  const failures: string[] = [];
  try {
    const origin = await startOrigin(join(tmp, 'origin'), options.loadCpu);
    /** Seconds of extra warm-up the current run took. */
    let extraWarmupSec = 0;
    const env: MeasureEnv = {
      origin,
      options,
      wrkScript: writeWrkScript(tmp),
      tmp,
      profileRoot: undefined,
      gcStats,
      extraWarmup: {
        maxSec: WARMUP_EXTRA_MAX_SEC,
        check: (pgid) => {
          extraWarmupSec++;
          const split = threadSplitSince(pgid);
          return () => {
            const used = split();
            let all = 0;
            for (const t of used.values()) all += t.cpuSec;
            const v8 = used.get('V8Worker')?.cpuSec ?? 0;
            return all > 0 && v8 / all > WARMUP_V8_SHARE;
          };
        },
      },
    };
    for (let round = 1; round <= options.rounds; round++) {
      for (const workload of options.workloads) {
        // Each round starts with another design, so drift of the machine's load favours none.
        const order = [
          ...peers.slice(round % peers.length),
          ...peers.slice(0, round % peers.length),
        ];
        for (const peer of order) {
          let sample: Sample;
          let around: Around | undefined;
          extraWarmupSec = 0;
          const dir = join(tmp, `${peer.name}-${workload}-r${round}`);
          env.around = (pgid) => {
            const split = threadSplitSince(pgid);
            const gcsBefore = readGcStats(join(dir, 'gc-stats')).gcs;
            return () => ({
              split: split(),
              gcs: gcStats ? readGcStats(join(dir, 'gc-stats')).gcs - gcsBefore : Number.NaN,
            });
          };
          try {
            let extra: unknown;
            ({ sample, extra } = await measure(peer, workload, round, env));
            around = extra as Around | undefined;
          } catch (err) {
            // A failed run (a busy machine can stall wrk) costs that run, not the benchmark.
            const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
            failures.push(`round ${round} ${workload} ${peer.name}: ${why}`);
            log(`[round ${round} ${workload}] ${peer.name} FAILED: ${why}`);
            continue;
          }
          const logText = readFileSync(join(dir, 'pingora-ts.log'), 'utf8');
          const run: Run = {
            // Without the preload there is nothing to read: no GC figures, not zeros.
            sample: gcStats
              ? sample
              : { ...sample, gcPctOfCpu: undefined, allocBytesPerReq: undefined },
            durationSec: options.durationSec,
            pools: poolTotals(logText),
            requests: sample.rps * options.durationSec,
            split: around?.split,
            gcs: around?.gcs,
          };
          const k = `${peer.name}\0${workload}`;
          runs.set(k, [...(runs.get(k) ?? []), run]);
          log(
            `[round ${round} ${workload}] ${peer.name}: warm-up +${extraWarmupSec} s, ${sample.rps.toFixed(0)} req/s, CPU ${sample.cpuPct.toFixed(0)}%, ${sample.reqPerCpuSec.toFixed(0)} req/CPU-s, upstream conns ${sample.upstreamConns}, pools ${JSON.stringify(run.pools)}`,
          );
        }
      }
    }
  } finally {
    await stopAll();
  }
  process.stdout.write(report(runs, options.workloads, command));
  if (failures.length > 0) {
    process.stdout.write(`### Failed runs\n\n${failures.map((f) => `- ${f}`).join('\n')}\n`);
  }
}

try {
  await main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  await stopAll();
  process.exitCode = 1;
}
