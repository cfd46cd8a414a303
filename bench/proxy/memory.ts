/**
 * The proxy memory benchmark (`npm run bench:proxy-memory`): what idle
 * keep-alive connections, large bodies and a load run cost each proxy in
 * resident memory, measured from /proc in one run, with a bare node:net
 * server holding the same sockets as Node's own floor. Sections:
 * - idle: N keep-alive connections (one request each, then idle): KiB each;
 * - stream: one large body up and one down through the proxy, every byte
 *   checked: how far RSS rises above where it started;
 * - load: wrk on /small, then RSS a few seconds after against before.
 * Prints Markdown; figures are per process group (VmRSS, VmHWM).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { download, startPatternOrigin, upload } from './lib/big-stream.ts';
import { installCleanup, stopAll } from './lib/children.ts';
import { openIdle } from './lib/idle-conns.ts';
import { describeMachine } from './lib/machine.ts';
import { freePort, HOST, httpGet, waitForPort } from './lib/net.ts';
import { startNginx } from './lib/nginx.ts';
import { startNodeServer, stopNodeServer } from './lib/node-peer.ts';
import { type Peer, type PeerContext, PeerKind } from './lib/peer.ts';
import { table } from './lib/report.ts';
import { peakRssMiB, rssMiB } from './lib/rss.ts';
import { runWrk, writeWrkScript } from './lib/wrk.ts';
import { nginx, nginxProxyHttp } from './peers/nginx.ts';
import { nodeTcpRelay } from './peers/node-tcp-relay.ts';
import { pingoraTs } from './peers/pingora-ts.ts';

const SECTIONS = ['idle', 'stream', 'load'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: node bench/proxy/memory.ts [options]   (or: npm run bench:proxy-memory -- [options])
  --peers a,b            peers (default all): PEERS
  --sections a,b         ${SECTIONS.join(', ')} (default all)
  --idle-connections N   idle keep-alive connections (default 10000; the runner needs 2N+ open files)
  --stream-mib N         body size of the stream section in MiB (default 1024)
  --load-seconds S       wrk run of the load section (default 5)
  --node-flags=FLAGS     extra node flags for every Node peer
  --keep-tmp             keep generated configs and logs`;

/** The floor: Node's own cost of holding a socket, with no HTTP proxy on top. */
const nodeNetIdle: Peer = {
  name: 'node-net-idle',
  kind: PeerKind.Ceiling,
  setup: 'node:net server answering each request with a fixed response (no upstream): the floor',
  tools: [],
  node: true,
  unavailable: () => undefined,
  start: (ctx) => startNodeServer('node-net-idle', 'node-net-idle.mjs', ctx),
  stop: stopNodeServer,
};

/** nginx with room for the idle section's connections. */
const nginxWide: Peer = {
  ...nginx,
  setup: `${nginx.setup}, worker_connections 25000, client_max_body_size 0, proxy_request_buffering off`,
  start: (ctx) =>
    startNginx(
      'nginx',
      ctx.dir,
      nginxProxyHttp(
        ctx,
        `${HOST}:${ctx.port}`,
        '    client_max_body_size 0;\n    proxy_request_buffering off;\n',
      ),
      ctx.cpu,
      25_000,
    ),
};

const PEERS: readonly Peer[] = [pingoraTs, nginxWide, nodeTcpRelay, nodeNetIdle];

function log(line: string): void {
  process.stderr.write(`bench-memory: ${line}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (n: number) => n.toFixed(1);

interface Options {
  peers: Peer[];
  sections: Section[];
  idleConnections: number;
  streamBytes: number;
  loadSec: number;
  nodeFlags: string[];
  keepTmp: boolean;
  command: string;
}

function parse(argv: string[]): Options | undefined {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      peers: { type: 'string' },
      sections: { type: 'string' },
      'idle-connections': { type: 'string' },
      'stream-mib': { type: 'string' },
      'load-seconds': { type: 'string' },
      'node-flags': { type: 'string' },
      'keep-tmp': { type: 'boolean' },
    },
  });
  if (v.help === true) {
    process.stdout.write(`${USAGE.replace('PEERS', PEERS.map((p) => p.name).join(', '))}\n`);
    return undefined;
  }
  const names = (v.peers ?? PEERS.map((p) => p.name).join(',')).split(',');
  const unknown = names.filter((n) => !PEERS.some((p) => p.name === n));
  const sections = (v.sections ?? SECTIONS.join(',')).split(',');
  const badSection = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  const int = (name: string, value: string | undefined, fallback: number, max: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `--${name} must be 1..${max}, got ${value}`,
      );
    }
    return n;
  };
  if (unknown.length > 0 || badSection.length > 0) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `unknown ${[...unknown, ...badSection].join(', ')} (see --help)`,
    );
  }
  return {
    peers: PEERS.filter((p) => names.includes(p.name)),
    sections: SECTIONS.filter((s) => sections.includes(s)),
    idleConnections: int('idle-connections', v['idle-connections'], 10_000, 15_000),
    streamBytes: int('stream-mib', v['stream-mib'], 1024, 8192) * 1024 * 1024,
    loadSec: int('load-seconds', v['load-seconds'], 5, 120),
    nodeFlags: (v['node-flags'] ?? '').split(/\s+/).filter((f) => f.length > 0),
    keepTmp: v['keep-tmp'] === true,
    command: ['node', 'bench/proxy/memory.ts', ...argv].join(' '),
  };
}

/** Samples a group's VmRSS every 50 ms; stop() returns the highest value seen. */
function rssSampler(pid: number): { stop(): number } {
  let max = rssMiB(pid);
  const timer = setInterval(() => {
    max = Math.max(max, rssMiB(pid));
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssMiB(pid));
    },
  };
}

interface Env {
  o: Options;
  tmp: string;
  originPort: number;
  wrkScript: string;
}

/** Starts `peer` for one section, runs `body`, and stops it whatever happened. */
async function withPeer<T>(
  peer: Peer,
  section: Section,
  env: Env,
  body: (pid: number, port: number) => Promise<T>,
): Promise<T> {
  const dir = join(env.tmp, `${peer.name}-${section}`);
  mkdirSync(dir, { recursive: true });
  const ctx: PeerContext = {
    originHost: HOST,
    originPort: env.originPort,
    port: await freePort(),
    dir,
    cpu: undefined,
    nodeArgs: peer.node ? env.o.nodeFlags : [],
    connections: 64,
  };
  const child = peer.start(ctx);
  try {
    await waitForPort(ctx.port, child, 20_000);
    const check = await httpGet(ctx.port, '/small');
    if (check.status !== 200) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${peer.name}: GET /small gave ${check.status}`,
      );
    }
    return await body(child.pid, ctx.port);
  } finally {
    await peer.stop(child, ctx);
  }
}

async function idleSection(peer: Peer, env: Env): Promise<string[]> {
  const n = env.o.idleConnections;
  return withPeer(peer, 'idle', env, async (pid, port) => {
    // The same pattern once at a smaller scale first, so code is compiled and
    // pools are warm before the baseline.
    const warm = await openIdle(port, '/small', Math.min(1000, n), 64, 60_000);
    await warm.close();
    await sleep(1500);
    const base = rssMiB(pid);
    const conns = await openIdle(port, '/small', n, 64, 120_000);
    await sleep(2000);
    const held = rssMiB(pid);
    const lost = conns.closedByPeer();
    await conns.close();
    await sleep(2000);
    const after = rssMiB(pid);
    const perConnKiB = ((held - base) * 1024) / n;
    log(
      `${peer.name} idle: ${mib(base)} -> ${mib(held)} MiB with ${n} connections (${perConnKiB.toFixed(2)} KiB each), ${mib(after)} MiB after closing`,
    );
    return [
      peer.name,
      String(n),
      mib(base),
      mib(held),
      perConnKiB.toFixed(2),
      mib(after),
      String(lost),
    ];
  });
}

async function streamSection(peer: Peer, env: Env): Promise<string[] | undefined> {
  // The floor has no upstream to stream to.
  if (peer === nodeNetIdle) return undefined;
  const size = env.o.streamBytes;
  const limitMs = Math.max(60_000, (size / (1024 * 1024)) * 200);
  return withPeer(peer, 'stream', env, async (pid, port) => {
    await sleep(1000);
    const base = rssMiB(pid);
    let s = rssSampler(pid);
    const t0 = Date.now();
    await upload(port, size, limitMs);
    const up = s.stop();
    const upSec = (Date.now() - t0) / 1000;
    const mid = rssMiB(pid);
    s = rssSampler(pid);
    const t1 = Date.now();
    await download(port, size, limitMs);
    const down = s.stop();
    const downSec = (Date.now() - t1) / 1000;
    log(
      `${peer.name} stream: base ${mib(base)} MiB, up max ${mib(up)} (${upSec.toFixed(1)} s), down max ${mib(down)} (${downSec.toFixed(1)} s)`,
    );
    return [
      peer.name,
      mib(base),
      mib(up - base),
      upSec.toFixed(1),
      mib(down - mid),
      downSec.toFixed(1),
      mib(peakRssMiB(pid)),
    ];
  });
}

async function loadSection(peer: Peer, env: Env): Promise<string[]> {
  return withPeer(peer, 'load', env, async (pid, port) => {
    await sleep(1000);
    const idle = rssMiB(pid);
    const r = await runWrk(
      `http://${HOST}:${port}/small`,
      { connections: 64, threads: 1, durationSec: env.o.loadSec, cpu: undefined },
      env.wrkScript,
      join(env.tmp, `${peer.name}-load`, 'wrk.log'),
    );
    const peak = peakRssMiB(pid);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      samples.push(rssMiB(pid));
    }
    const after = samples[samples.length - 1]!;
    log(
      `${peer.name} load: idle ${mib(idle)} MiB, peak ${mib(peak)}, after ${samples.map(mib).join(' ')}`,
    );
    return [
      peer.name,
      String(Math.round(r.requests / (r.durationUs / 1e6))),
      mib(idle),
      mib(peak),
      mib(after),
      mib(after - idle),
    ];
  });
}

async function main(): Promise<void> {
  installCleanup();
  const o = parse(process.argv.slice(2));
  if (o === undefined) return;
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-memory-'));
  chmodSync(tmp, 0o755);
  if (!o.keepTmp) process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  for (const p of o.peers) p.prepare?.();
  const origin = await startPatternOrigin();
  const env: Env = { o, tmp, originPort: origin.port, wrkScript: writeWrkScript(tmp) };
  const machine = describeMachine();
  const out: string[] = [`## Proxy memory benchmark, ${machine.date}`, ''];
  for (const l of machine.lines) out.push(`- ${l}`);
  out.push(
    `- command: \`${o.command}\``,
    "- RSS: VmRSS summed over the proxy's processes (nginx: master + worker); peak: VmHWM",
    '',
  );
  const notes: string[] = [];
  const run = async (section: Section, f: (p: Peer, e: Env) => Promise<string[] | undefined>) => {
    const rows: string[][] = [];
    for (const p of o.peers) {
      try {
        const row = await f(p, env);
        if (row !== undefined) rows.push(row);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        notes.push(`${section} ${p.name} failed: ${msg.split('\n')[0]}`);
        log(`${section} ${p.name} FAILED: ${msg}`);
      }
    }
    return rows;
  };
  try {
    if (o.sections.includes('idle')) {
      const rows = await run('idle', idleSection);
      out.push(
        `### ${o.idleConnections} idle keep-alive connections (one request each, then idle)`,
        '',
      );
      out.push(
        table(
          [
            'peer',
            'connections',
            'RSS before MiB',
            'RSS held MiB',
            'KiB per connection',
            'RSS after closing MiB',
            'closed by peer',
          ],
          rows,
          [false, true, true, true, true, true, true],
        ),
        '',
      );
    }
    if (o.sections.includes('stream')) {
      const rows = await run('stream', streamSection);
      out.push(`### One ${o.streamBytes / 1024 / 1024} MiB body each way (every byte checked)`, '');
      out.push(
        table(
          [
            'peer',
            'RSS before MiB',
            'rise during upload MiB',
            'upload s',
            'rise during download MiB',
            'download s',
            'peak RSS MiB',
          ],
          rows,
          [false, true, true, true, true, true, true],
        ),
        '',
      );
    }
    if (o.sections.includes('load')) {
      const rows = await run('load', loadSection);
      out.push(`### RSS after a ${o.loadSec} s load run (wrk -c64 on /small), 5 s later`, '');
      out.push(
        table(
          ['peer', 'req/s', 'RSS idle MiB', 'peak RSS MiB', 'RSS after MiB', 'after − idle MiB'],
          rows,
          [false, true, true, true, true, true],
        ),
        '',
      );
    }
  } finally {
    await stopAll();
    await origin.close();
  }
  out.push('### Peers', '');
  for (const p of o.peers) out.push(`- ${p.name}: ${p.setup}`);
  if (notes.length > 0) out.push('', '### Notes', '', ...notes.map((n) => `- ${n}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  await main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  await stopAll();
  process.exitCode = 1;
}
// Idle client sockets and the origin's keep-alive timers would hold the loop open.
process.stdout.write('', () => process.exit());
