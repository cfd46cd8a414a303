/**
 * Command line of the proxy benchmark. Defaults give the full comparison
 * (3 rounds of 5 s after a 2 s warm-up, 64 keep-alive connections, every peer
 * and workload); `--quick` is one 2 s round for smoke runs.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { WORKLOADS, type WorkloadName } from './origin.ts';

export interface Options {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  threads: number;
  /** Peer names to run, in report order. */
  peers: string[];
  workloads: WorkloadName[];
  timeLimitSec: number;
  install: boolean;
  cpuProf: boolean;
  cpuProfDir: string | undefined;
  /** Extra flags for every Node-based peer (ours included), e.g. V8 heap sizes. */
  nodeFlags: string[];
  keepTmp: boolean;
  /** taskset CPU lists; undefined disables pinning. */
  proxyCpu: string | undefined;
  loadCpu: string | undefined;
  /** The command line, for the report. */
  command: string;
}

export const USAGE = `usage: node bench/proxy/run.ts [options]   (or: npm run bench:proxy -- [options])
  --quick               1 round of 2 s after a 1 s warm-up (smoke run)
  --rounds N            rounds, peers interleaved in each (default 3)
  --duration S          seconds measured per run (default 5)
  --warmup S            seconds of warm-up load before each run (default 5)
  --connections N       wrk keep-alive connections (default 64)
  --threads N           wrk threads (default 1)
  --peers a,b           peers to run (default all): PEERS
  --workloads a,b       responses to fetch (default all): ${Object.keys(WORKLOADS).join(', ')}
  --time-limit S        stop starting runs after S seconds (default 1200, 300 with --quick)
  --no-install          never apt-get missing tools
  --cpu-prof            run Node peers under --cpu-prof and print their top self-time functions
  --cpu-prof-dir DIR    where profiles go (default: a new dir under the OS temp dir)
  --node-flags=FLAGS    extra node flags for every Node peer, ours included
                        (e.g. --node-flags=--max-semi-space-size=4, several in quotes)
  --keep-tmp            keep generated configs and logs
  --proxy-cpu LIST      taskset CPUs for the proxy (default: the last CPU)
  --load-cpu LIST       taskset CPUs for origin and wrk (default: the other CPUs)
  --no-pin              no CPU pinning`;

function int(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `--${name} must be an integer in ${min}..${max}, got "${value}"`,
    );
  }
  return n;
}

function list(name: string, value: string | undefined, known: readonly string[]): string[] {
  if (value === undefined) return [...known];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = items.filter((s) => !known.includes(s));
  if (items.length === 0 || unknown.length > 0) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `--${name}: unknown ${unknown.join(', ') || '(empty list)'}; known: ${known.join(', ')}`,
    );
  }
  // Report order is the known order, whatever order was asked.
  return known.filter((k) => items.includes(k));
}

function nodeFlags(value: string | undefined): string[] {
  const flags = (value ?? '').split(/\s+/).filter((f) => f.length > 0);
  const bad = flags.find((f) => !/^--[a-z0-9][a-z0-9-]*(=\S+)?$/.test(f));
  if (bad !== undefined) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `--node-flags: "${bad}" is not a --flag[=value]`,
    );
  }
  return flags;
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function cpuList(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !CPU_LIST.test(value)) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `--${name} must be a CPU list like 1 or 0-2, got "${value}"`,
    );
  }
  return value;
}

/** Parses argv; returns undefined after printing usage for --help. */
export function parseOptions(
  argv: readonly string[],
  peerNames: readonly string[],
): Options | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw PingoraError.because(ErrorType.ConfigError, 'bad command line (see --help)', err);
  }
  const v = parsed.values;
  if (v.help === true) {
    process.stdout.write(`${USAGE.replace('PEERS', peerNames.join(', '))}\n`);
    return undefined;
  }
  const quick = v.quick === true;
  const cpus = availableParallelism();
  const pin = v['no-pin'] !== true && cpus >= 2;
  const last = cpus - 1;
  return {
    rounds: int('rounds', v.rounds, quick ? 1 : 3, 1, 50),
    durationSec: int('duration', v.duration, quick ? 2 : 5, 1, 300),
    warmupSec: int('warmup', v.warmup, quick ? 1 : 5, 0, 60),
    connections: int('connections', v.connections, 64, 1, 4096),
    threads: int('threads', v.threads, 1, 1, 64),
    peers: list('peers', v.peers, peerNames),
    workloads: list('workloads', v.workloads, Object.keys(WORKLOADS)) as WorkloadName[],
    timeLimitSec: int('time-limit', v['time-limit'], quick ? 300 : 1200, 10, 24 * 3600),
    install: v['no-install'] !== true,
    cpuProf: v['cpu-prof'] === true,
    cpuProfDir: v['cpu-prof-dir'],
    nodeFlags: nodeFlags(v['node-flags']),
    keepTmp: v['keep-tmp'] === true,
    proxyCpu: pin ? (cpuList('proxy-cpu', v['proxy-cpu']) ?? String(last)) : undefined,
    loadCpu: pin
      ? (cpuList('load-cpu', v['load-cpu']) ?? (last === 1 ? '0' : `0-${last - 1}`))
      : undefined,
    command: ['node', 'bench/proxy/run.ts', ...argv]
      .map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a))
      .join(' '),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      peers: { type: 'string' },
      workloads: { type: 'string' },
      'time-limit': { type: 'string' },
      'no-install': { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      'cpu-prof-dir': { type: 'string' },
      'node-flags': { type: 'string' },
      'keep-tmp': { type: 'boolean' },
      'proxy-cpu': { type: 'string' },
      'load-cpu': { type: 'string' },
      'no-pin': { type: 'boolean' },
    },
  });
}
