/**
 * Command line of the TLS section (`bench/proxy/tls.ts`): rounds, durations,
 * keep-alive connections, handshake burst size, which certificates,
 * workloads and peers. `--quick` is a smoke run (one short round).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { CertKind } from './tls-certs.ts';

export const TLS_WORKLOADS = ['small', '64k', 'handshake'] as const;
export type TlsWorkload = (typeof TLS_WORKLOADS)[number];

export interface TlsOptions {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** New connections per h2load burst in the handshake workload. */
  handshakeClients: number;
  certs: CertKind[];
  workloads: TlsWorkload[];
  peers: string[];
  timeLimitSec: number;
  install: boolean;
  keepTmp: boolean;
  nodeFlags: string[];
  proxyCpu: string | undefined;
  loadCpu: string | undefined;
  command: string;
}

export const TLS_USAGE = `usage: node bench/proxy/tls.ts [options]   (or: npm run bench:proxy-tls -- [options])
  --quick                 1 round, 2 s runs after a 1 s warm-up, 200-connection bursts (smoke run)
  --rounds N              rounds, peers interleaved in each (default 3)
  --duration S            seconds measured per run (default 5)
  --warmup S              seconds of keep-alive warm-up before each run (default 5)
  --connections N         wrk keep-alive connections (default 64)
  --handshake-clients N   new connections per h2load burst (default 1000)
  --certs a,b             certificates: ${Object.values(CertKind).join(', ')} (default both)
  --workloads a,b         ${TLS_WORKLOADS.join(', ')} (default all)
  --peers a,b             rows to run (default all): PEERS
  --time-limit S          stop starting runs after S seconds (default 1500, 300 with --quick)
  --node-flags=FLAGS      extra node flags for our gateway
  --no-install            never apt-get missing tools
  --keep-tmp              keep generated configs, certificates and logs
  --proxy-cpu LIST        taskset CPUs for the proxy (default: the last CPU)
  --load-cpu LIST         taskset CPUs for origin and load (default: the other CPUs)
  --no-pin                no CPU pinning`;

function bad(what: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, what);
}

function int(name: string, v: string | undefined, fallback: number, min: number, max: number) {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw bad(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
  }
  return n;
}

function list<T extends string>(name: string, v: string | undefined, known: readonly T[]): T[] {
  if (v === undefined) return [...known];
  const items = v.split(',').map((s) => s.trim());
  const unknown = items.filter((s) => !(known as readonly string[]).includes(s));
  if (items.length === 0 || unknown.length > 0) {
    throw bad(`--${name}: unknown ${unknown.join(', ') || '(empty)'}; known: ${known.join(', ')}`);
  }
  return known.filter((k) => items.includes(k));
}

function cpuList(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) {
    throw bad(`--${name} must be a CPU list like 1 or 0-2, got "${v}"`);
  }
  return v;
}

/** Parses argv; undefined after printing usage for --help. */
export function parseTlsOptions(
  argv: readonly string[],
  peerNames: readonly string[],
): TlsOptions | undefined {
  const { values: v } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'handshake-clients': { type: 'string' },
      certs: { type: 'string' },
      workloads: { type: 'string' },
      peers: { type: 'string' },
      'time-limit': { type: 'string' },
      'node-flags': { type: 'string' },
      'no-install': { type: 'boolean' },
      'keep-tmp': { type: 'boolean' },
      'proxy-cpu': { type: 'string' },
      'load-cpu': { type: 'string' },
      'no-pin': { type: 'boolean' },
    },
  });
  if (v.help === true) {
    process.stdout.write(`${TLS_USAGE.replace('PEERS', peerNames.join(', '))}\n`);
    return undefined;
  }
  const quick = v.quick === true;
  const nodeFlags = (v['node-flags'] ?? '').split(/\s+/).filter((f) => f.length > 0);
  const badFlag = nodeFlags.find((f) => !/^--[a-z0-9][a-z0-9-]*(=\S+)?$/.test(f));
  if (badFlag !== undefined) throw bad(`--node-flags: "${badFlag}" is not a --flag[=value]`);
  const cpus = availableParallelism();
  const pin = v['no-pin'] !== true && cpus >= 2;
  const last = cpus - 1;
  return {
    rounds: int('rounds', v.rounds, quick ? 1 : 3, 1, 50),
    durationSec: int('duration', v.duration, quick ? 2 : 5, 1, 300),
    warmupSec: int('warmup', v.warmup, quick ? 1 : 5, 0, 60),
    connections: int('connections', v.connections, 64, 1, 4096),
    handshakeClients: int('handshake-clients', v['handshake-clients'], quick ? 200 : 1000, 1, 4000),
    certs: list('certs', v.certs, Object.values(CertKind)),
    workloads: list('workloads', v.workloads, TLS_WORKLOADS),
    peers: list('peers', v.peers, peerNames),
    timeLimitSec: int('time-limit', v['time-limit'], quick ? 300 : 1500, 10, 24 * 3600),
    install: v['no-install'] !== true,
    keepTmp: v['keep-tmp'] === true,
    nodeFlags,
    proxyCpu: pin ? (cpuList('proxy-cpu', v['proxy-cpu']) ?? String(last)) : undefined,
    loadCpu: pin
      ? (cpuList('load-cpu', v['load-cpu']) ?? (last === 1 ? '0' : `0-${last - 1}`))
      : undefined,
    command: ['node', 'bench/proxy/tls.ts', ...argv].join(' '),
  };
}
