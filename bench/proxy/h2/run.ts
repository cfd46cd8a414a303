/**
 * The HTTP/2 section of the proxy benchmark (`npm run bench:proxy:h2`):
 * h2load against our gateway with h2c, nginx as an h2 proxy and a bare
 * node:http2 relay, same run, /small and /64k, `-c64 -m1` and `-c8 -m8`,
 * each proxy pinned to the last CPU. Prints a Markdown table with our
 * ratio to nginx. `--quick` is a smoke run (1 s each, no warm-up).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCleanup, stopAll } from '../lib/children.ts';
import { freePort, HOST, waitForPort } from '../lib/net.ts';
import { startOrigin, WORKLOADS } from '../lib/origin.ts';
import { hasCommand } from '../lib/tools.ts';
import { type H2loadResult, runH2load } from './h2load.ts';
import { H2_PEERS } from './peers.ts';

const SHAPES = [
  { clients: 64, streams: 1 },
  { clients: 8, streams: 8 },
] as const;

function log(line: string): void {
  process.stderr.write(`bench:h2: ${line}\n`);
}

async function main(): Promise<void> {
  installCleanup();
  const quick = process.argv.includes('--quick');
  const seconds = quick ? 1 : 5;
  const warmup = quick ? 0 : 3;
  if (!hasCommand('h2load')) throw new Error('h2load is missing: apt-get install nghttp2-client');
  if (!hasCommand('nginx')) throw new Error('nginx is missing: apt-get install nginx-light');
  const cpus = availableParallelism();
  const proxyCpu = cpus > 1 ? String(cpus - 1) : undefined;
  const loadCpu = cpus > 1 ? `0-${cpus - 2}` : undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-h2-'));
  // nginx workers run as `nobody` when started as root: they must reach the files.
  chmodSync(tmp, 0o755);
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  for (const peer of H2_PEERS) peer.prepare?.();
  const origin = await startOrigin(join(tmp, 'origin'), loadCpu);
  const rows: string[] = [];
  try {
    for (const peer of H2_PEERS) {
      const port = await freePort();
      const dir = join(tmp, peer.name.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const ctx = {
        originHost: origin.host,
        originPort: origin.port,
        port,
        dir,
        cpu: proxyCpu,
        nodeArgs: [],
        connections: 64,
      };
      const child = peer.start(ctx);
      try {
        await waitForPort(port, child);
        for (const w of Object.values(WORKLOADS)) {
          for (const shape of SHAPES) {
            const r: H2loadResult = runH2load(
              `http://${HOST}:${port}${w.path}`,
              shape.clients,
              shape.streams,
              seconds,
              warmup,
              loadCpu,
            );
            log(
              `${peer.name} ${w.name} -c${shape.clients} -m${shape.streams}: ${r.rps} req/s, ${r.failed} failed`,
            );
            rows.push(
              `| ${peer.name} | ${w.name} | -c${shape.clients} -m${shape.streams} | ${r.rps.toFixed(0)} | ${r.meanMs.toFixed(2)} | ${r.succeeded} | ${r.failed} |`,
            );
          }
        }
      } finally {
        await child.stop();
      }
    }
  } finally {
    await stopAll();
  }
  process.stdout.write(
    [
      `## HTTP/2 (h2c) — ${quick ? 'smoke run, figures not meaningful' : `${seconds} s after ${warmup} s warm-up`}`,
      '',
      ...H2_PEERS.map((p) => `- ${p.name}: ${p.setup}`),
      '',
      '| peer | response | h2load | req/s | mean ms | succeeded | failed |',
      '|---|---|---|--:|--:|--:|--:|',
      ...rows,
      '',
    ].join('\n'),
  );
}

try {
  await main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  await stopAll();
  process.exitCode = 1;
}
