/**
 * The HTTP/2 section of the proxy benchmark (`npm run bench:proxy:h2`):
 * h2load against our gateway, nginx as an h2 proxy and the bare node:http2
 * relay, as h2c and as h2 over TLS with one certificate, /small and /64k,
 * `-c64 -m1` and `-c8 -m8`. Every peer of a mode runs at once, pinned to the
 * last CPU (an idle one costs nothing), and each cell is measured peer after
 * peer in rotating order, so the ratios compare runs seconds apart. The CPU
 * column is the peer's own CPU time per request (/proc) over h2load's
 * measured part (after its warm-up, on the same connections), which a busy
 * machine disturbs less than req/s. Prints Markdown.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Child, installCleanup, stopAll } from '../lib/children.ts';
import { describeMachine } from '../lib/machine.ts';
import { freePort, HOST, waitForPort } from '../lib/net.ts';
import { startOrigin, WORKLOADS } from '../lib/origin.ts';
import { cpuSeconds } from '../lib/rss.ts';
import { CertKind, makeCert } from '../lib/tls-certs.ts';
import { hasCommand, toolVersion } from '../lib/tools.ts';
import { type H2loadResult, runH2load } from './h2load.ts';
import { H2_PEERS, H2Mode, type H2Peer } from './peers.ts';
import { formatH2Report, type H2Cell, H2Results } from './report.ts';

const SHAPES = [
  { clients: 64, streams: 1 },
  { clients: 8, streams: 8 },
] as const;

const USAGE = `usage: npm run bench:proxy:h2 -- [options]
  --quick            smoke run: 1 round of 1 s cells after 1 s warm-up (figures not meaningful)
  --rounds N         rounds (default 2)
  --duration S       seconds measured per cell and peer (default 4)
  --warmup S         seconds of load before each measured run (default 2)
  --modes a,b        h2c, h2 (default both)
  --cert KIND        certificate for h2 over TLS: ecdsa or rsa (default ecdsa)`;

function log(line: string): void {
  process.stderr.write(`bench:h2: ${line}\n`);
}

function int(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 3600)
    throw new Error(`--${name}: want 0..3600, got ${v}`);
  return n;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function main(): Promise<void> {
  installCleanup();
  const { values: v } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      modes: { type: 'string' },
      cert: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (v.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const quick = v.quick === true;
  const rounds = int(v.rounds, quick ? 1 : 2, 'rounds');
  const seconds = Math.max(1, int(v.duration, quick ? 1 : 4, 'duration'));
  const warmup = int(v.warmup, quick ? 1 : 2, 'warmup');
  const modes = (v.modes ?? 'h2c,h2').split(',').map((m) => m.trim());
  for (const m of modes) {
    if (m !== H2Mode.H2c && m !== H2Mode.H2) throw new Error(`--modes: unknown ${m} (h2c, h2)`);
  }
  const certKind = v.cert ?? CertKind.Ecdsa;
  if (certKind !== CertKind.Ecdsa && certKind !== CertKind.Rsa) {
    throw new Error(`--cert: want ecdsa or rsa, got ${certKind}`);
  }
  if (!hasCommand('h2load')) throw new Error('h2load is missing: apt-get install nghttp2-client');
  if (!hasCommand('nginx')) throw new Error('nginx is missing: apt-get install nginx-light');
  const cpus = availableParallelism();
  const proxyCpu = cpus > 1 ? String(cpus - 1) : undefined;
  const loadCpu = cpus > 1 ? (cpus === 2 ? '0' : `0-${cpus - 2}`) : undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-h2-'));
  // nginx workers run as `nobody` when started as root: they must reach the files.
  chmodSync(tmp, 0o755);
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const started = Date.now();
  const machine = describeMachine();
  for (const peer of H2_PEERS) peer.prepare?.();
  const cert = makeCert(join(tmp, 'certs'), certKind);
  const origin = await startOrigin(join(tmp, 'origin'), loadCpu);
  const results = new H2Results();
  const cells: H2Cell[] = [];
  const notes: string[] = [];
  try {
    for (const mode of modes as H2Mode[]) {
      const running: { peer: H2Peer; child: Child; port: number }[] = [];
      for (const peer of H2_PEERS) {
        const port = await freePort();
        const dir = join(tmp, `${mode}-${peer.name.replace(/\W+/g, '-')}`);
        mkdirSync(dir, { recursive: true });
        const child = peer.start({
          originHost: origin.host,
          originPort: origin.port,
          port,
          sparePort: await freePort(),
          dir,
          cpu: proxyCpu,
          nodeArgs: [],
          connections: 64,
          cert: mode === H2Mode.H2 ? cert : undefined,
        });
        running.push({ peer, child, port });
        await waitForPort(port, child, 20_000);
      }
      const scheme = mode === H2Mode.H2 ? 'https' : 'http';
      try {
        for (let round = 1; round <= rounds; round++) {
          for (const [wi, w] of Object.values(WORKLOADS).entries()) {
            for (const [si, shape] of SHAPES.entries()) {
              const cell: H2Cell = {
                mode,
                workload: w.name,
                shape: `-c${shape.clients} -m${shape.streams}`,
              };
              if (round === 1) cells.push(cell);
              for (const { peer, child, port } of rotate(running, round + wi + si)) {
                const url = `${scheme}://${HOST}:${port}${w.path}`;
                let r: H2loadResult;
                let cpu: number;
                try {
                  let cpuBefore = cpuSeconds(child.pid);
                  r = await runH2load({
                    url,
                    clients: shape.clients,
                    streams: shape.streams,
                    seconds,
                    warmup,
                    cpu: loadCpu,
                    onMeasure: () => {
                      cpuBefore = cpuSeconds(child.pid);
                    },
                  });
                  cpu = cpuSeconds(child.pid) - cpuBefore;
                } catch (err) {
                  const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
                  log(`[round ${round}] ${peer.name} ${cellKeyText(cell)} FAILED: ${why}`);
                  notes.push(`${peer.name} ${cellKeyText(cell)} round ${round} failed: ${why}`);
                  continue;
                }
                const sample = {
                  rps: r.rps,
                  cpuUsPerReq: r.succeeded > 0 ? (cpu * 1e6) / r.succeeded : Number.NaN,
                  meanMs: r.meanMs,
                  failed: r.failed,
                };
                results.add(cell, peer.name, sample);
                log(
                  `[round ${round}] ${mode} ${w.name} ${cell.shape} ${peer.name}: ${r.rps.toFixed(0)} req/s, ${sample.cpuUsPerReq.toFixed(0)} µs CPU/req, ${r.failed} failed`,
                );
                if (r.succeeded === 0) notes.push(`${peer.name} ${cellKeyText(cell)}: no response`);
              }
            }
          }
        }
      } finally {
        for (const { child } of running) await child.stop();
      }
    }
  } finally {
    await stopAll();
  }
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    formatH2Report({
      title: `## Proxy benchmark, HTTP/2 section, ${new Date(started).toISOString().slice(0, 19)}Z${quick ? ' (smoke run, figures not meaningful)' : ''}`,
      setupLines: [
        ...machine.lines,
        `${toolVersion('h2load')}`,
        `command: \`node bench/proxy/h2/run.ts ${process.argv.slice(2).join(' ')}\` (${elapsed} s)`,
        `h2load -D ${seconds} --warm-up-time ${warmup} per peer and cell (the measured part reuses the warm-up's connections), ${rounds} round(s), peers in rotating order; proxies on CPU ${proxyCpu ?? 'any'}, origin and h2load on CPU ${loadCpu ?? 'any'}; h2 over TLS with one ${certKind === CertKind.Ecdsa ? 'ECDSA P-256' : 'RSA-2048'} certificate for every peer`,
        'cells: median (min–max) over the rounds; CPU µs per req: the peer’s user+system CPU time over the measured run divided by the requests h2load saw succeed (its cost per request, which a loaded machine disturbs less than req/s); per CPU ratios: their CPU per request over ours',
      ],
      peers: H2_PEERS,
      cells,
      results,
      notes,
    }),
  );
}

function cellKeyText(c: H2Cell): string {
  return `${c.mode} ${c.workload} ${c.shape}`;
}

try {
  await main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  await stopAll();
  process.exitCode = 1;
}
