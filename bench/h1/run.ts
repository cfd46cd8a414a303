/**
 * HTTP/1 server comparison: the same hello-world server on pingora-ts's
 * HTTP/1 codec and on node:http, each one process, driven by wrk over
 * keep-alive on loopback. Rounds alternate between the two; the server is
 * pinned to CPU 1 and wrk to CPU 0 when taskset exists. Prints req/s, p50
 * and p99 per round, medians, and the ratio, then the codec's parse
 * throughput and the JavaScript cost per request measured without sockets
 * (see session-cost.ts). `node --conditions=@pingora-ts/source bench/h1/run.ts
 * [--rounds 3] [--duration 10] [--connections 50]`
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureParseThroughput } from './parse-throughput.ts';
import { harnessCost, nodeHttpCost, sessionCost } from './session-cost.ts';
import { parseWrk, type WrkResult } from './wrk-output.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '3' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);
const warmup = Number(values.warmup);

const SERVERS = [
  { name: 'pingora-ts h1', file: 'servers/pingora-hello.ts' },
  { name: 'node:http', file: 'servers/node-http-hello.ts' },
] as const;

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!has('wrk')) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(2);
}
const pin = has('taskset');
const pinned = (cpu: number, argv: string[]): [string, string[]] =>
  pin ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0]!, argv.slice(1)];

/** CPU seconds (user + system) a process has used so far, from /proc (undefined elsewhere). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
  } catch {
    return undefined;
  }
}

async function startServer(
  file: string,
): Promise<{ port: number; pid: number | undefined; stop: () => void }> {
  const [cmd, args] = pinned(1, [
    process.execPath,
    '--conditions=@pingora-ts/source',
    join(here, file),
    '0',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${file} did not start`)), 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { port, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

function wrk(port: number, seconds: number): WrkResult {
  const [cmd, args] = pinned(0, [
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ]);
  return parseWrk(execFileSync(cmd, args, { encoding: 'utf8' }), seconds);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

console.log(
  `wrk -t1 -c${connections} -d${duration}s, ${rounds} alternating rounds, ${warmup}s warm-up` +
    (pin ? ', server on CPU 1, wrk on CPU 0' : ', unpinned (no taskset)'),
);
type Round = WrkResult & { cpuUsPerRequest: number };
const results = new Map<string, Round[]>(SERVERS.map((s) => [s.name, []]));
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? SERVERS : [...SERVERS].reverse();
  for (const s of order) {
    const server = await startServer(s.file);
    try {
      wrk(server.port, warmup);
      const cpu0 = cpuSeconds(server.pid);
      const w = wrk(server.port, duration);
      const cpu1 = cpuSeconds(server.pid);
      const cpuUsPerRequest =
        cpu0 === undefined || cpu1 === undefined ? Number.NaN : ((cpu1 - cpu0) * 1e6) / w.requests;
      const r = { ...w, cpuUsPerRequest };
      results.get(s.name)!.push(r);
      console.log(
        `round ${round}  ${s.name.padEnd(14)} ${r.requestsPerSec.toFixed(0).padStart(8)} req/s` +
          `  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms` +
          `  server CPU ${r.cpuUsPerRequest.toFixed(1)} us/req  errors ${r.errors}`,
      );
    } finally {
      server.stop();
    }
  }
}

console.log('\nmedians:');
const summary = SERVERS.map((s) => {
  const rs = results.get(s.name)!;
  const row = {
    name: s.name,
    rps: median(rs.map((r) => r.requestsPerSec)),
    p50: median(rs.map((r) => r.p50Ms)),
    p99: median(rs.map((r) => r.p99Ms)),
    cpu: median(rs.map((r) => r.cpuUsPerRequest)),
  };
  console.log(
    `  ${row.name.padEnd(14)} ${row.rps.toFixed(0).padStart(8)} req/s  p50 ${row.p50.toFixed(2)} ms` +
      `  p99 ${row.p99.toFixed(2)} ms  server CPU ${row.cpu.toFixed(1)} us/req`,
  );
  return row;
});
const [ours, node] = summary as [(typeof summary)[0], (typeof summary)[0]];
console.log(
  `\nratio pingora-ts/node:http: ${(ours.rps / node.rps).toFixed(2)}x req/s, ` +
    `p99 ${ours.p99.toFixed(2)} vs ${node.p99.toFixed(2)} ms, ` +
    `server CPU per request ${(node.cpu / ours.cpu).toFixed(2)}x less`,
);

console.log('\nparse throughput (typical browser request heads, one core):');
for (const row of measureParseThroughput()) {
  console.log(
    `  ${row.name.padEnd(34)} ${row.mbPerSec.toFixed(0).padStart(6)} MB/s  ${(row.headsPerSec / 1e6).toFixed(2)}M heads/s`,
  );
}

console.log(
  '\nJS CPU per request, in-memory socket (no syscalls; median of 3, harness subtracted):',
);
const costs = { ours: [] as number[], node: [] as number[] };
for (let i = 0; i < 3; i++) {
  const harness = await harnessCost(100_000);
  costs.ours.push((await sessionCost(100_000)) - harness);
  costs.node.push((await nodeHttpCost(100_000)) - harness);
}
const oursNs = median(costs.ours);
const nodeNs = median(costs.node);
console.log(`  pingora-ts h1   ${oursNs.toFixed(0).padStart(6)} ns`);
console.log(
  `  node:http       ${nodeNs.toFixed(0).padStart(6)} ns   (${(nodeNs / oursNs).toFixed(2)}x pingora-ts)`,
);
