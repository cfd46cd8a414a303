/**
 * The proxy benchmark (`npm run bench:proxy`): our load-balancer gateway
 * against nginx, HAProxy, the Node proxies and a raw Node TCP relay, all in
 * one run, measured with the same wrk settings, interleaved in rounds, every
 * proxy pinned to one CPU and the origin plus wrk to the other. Prints a
 * Markdown report (see README.md); `--help` lists the options.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCleanup, stopAll } from './lib/children.ts';
import { formatProfile, summarizeProfile, type TimeWindow } from './lib/cpuprofile.ts';
import { describeMachine } from './lib/machine.ts';
import { measure } from './lib/measure.ts';
import { parseOptions } from './lib/options.ts';
import { startOrigin } from './lib/origin.ts';
import type { Peer } from './lib/peer.ts';
import { formatReport } from './lib/report.ts';
import { Results } from './lib/results.ts';
import { ensureTools, type Tool } from './lib/tools.ts';
import { writeWrkScript } from './lib/wrk.ts';
import { PEERS } from './peers/index.ts';

/** A peer that failed this many measurements is dropped from later rounds. */
const MAX_FAILURES = 2;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  installCleanup();
  const options = parseOptions(
    process.argv.slice(2),
    PEERS.map((p) => p.name),
  );
  if (options === undefined) return;
  const started = Date.now();
  const deadline = started + options.timeLimitSec * 1000;
  // The hard stop, should anything hang past every per-step timeout.
  setTimeout(
    () => {
      log(`hard time limit reached (${options.timeLimitSec + 120} s), stopping`);
      void stopAll().finally(() => process.exit(1));
    },
    (options.timeLimitSec + 120) * 1000,
  ).unref();

  const notes: string[] = [];
  let peers: Peer[] = PEERS.filter((p) => options.peers.includes(p.name));
  peers = peers.filter((p) => {
    const why = p.unavailable();
    if (why !== undefined) notes.push(`${p.name} not measured: ${why}`);
    return why === undefined;
  });
  const tools = new Set<Tool>(['wrk', 'nginx', ...peers.flatMap((p) => p.tools)]);
  const installed = ensureTools([...tools], options.install);
  if (installed.length > 0) notes.push(`installed with apt-get: ${installed.join(', ')}`);
  peers = peers.filter((p) => {
    try {
      p.prepare?.();
      return true;
    } catch (err) {
      notes.push(`${p.name} not measured: ${message(err)}`);
      return false;
    }
  });

  const machine = describeMachine();
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-proxy-'));
  // nginx workers run as `nobody` when started as root: they must reach the files.
  chmodSync(tmp, 0o755);
  // Also on SIGINT, which ends the process from its handler.
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  if (!options.keepTmp) process.on('exit', removeTmp);
  let profileRoot: string | undefined;
  if (options.cpuProf) {
    profileRoot = options.cpuProfDir ?? mkdtempSync(join(tmpdir(), 'pingora-ts-cpu-prof-'));
    mkdirSync(profileRoot, { recursive: true });
  }
  const results = new Results();
  const profiles: { path: string; window: TimeWindow | undefined }[] = [];
  let failedRun = false;
  try {
    const wrkScript = writeWrkScript(tmp);
    const origin = await startOrigin(join(tmp, 'origin'), options.loadCpu);
    log(`origin nginx on 127.0.0.1:${origin.port}; peers: ${peers.map((p) => p.name).join(', ')}`);
    const env = { origin, options, wrkScript, tmp, profileRoot };
    const perRunMs = (options.warmupSec + options.durationSec + 3) * 1000;
    const failures = new Map<string, number>();
    let stopped = false;
    for (let round = 1; round <= options.rounds && !stopped; round++) {
      for (const [wi, workload] of options.workloads.entries()) {
        // Each round and workload starts with a different peer, so slow drift
        // of the machine's load does not always favour the same one.
        for (const peer of rotate(peers, round - 1 + wi)) {
          if ((failures.get(peer.name) ?? 0) >= MAX_FAILURES) continue;
          if (Date.now() + perRunMs > deadline) {
            notes.push(
              `time limit (${options.timeLimitSec} s) reached in round ${round}: later runs skipped`,
            );
            stopped = true;
            break;
          }
          const tag = `[round ${round}/${options.rounds} ${workload}] ${peer.name}`;
          try {
            const { sample: s, profile, window } = await measure(peer, workload, round, env);
            results.cell(peer.name, workload).samples.push(s);
            if (profile !== undefined) profiles.push({ path: profile, window });
            log(
              `${tag}: ${s.rps.toFixed(0)} req/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, CPU ${s.cpuPct.toFixed(0)}%, ` +
                `RSS ${s.rssMiB.toFixed(1)} MiB, upstream conns ${s.upstreamConns}, errors ${s.errors}`,
            );
          } catch (err) {
            const n = (failures.get(peer.name) ?? 0) + 1;
            failures.set(peer.name, n);
            results.cell(peer.name, workload).failures.push(message(err));
            log(`${tag} FAILED: ${message(err)}`);
            notes.push(`${tag} failed: ${message(err).split('\n')[0]}`);
            if (n >= MAX_FAILURES) notes.push(`${peer.name} dropped after ${n} failures`);
          }
        }
        if (stopped) break;
      }
    }
  } catch (err) {
    failedRun = true;
    notes.push(`run aborted: ${message(err)}`);
    log(`run aborted: ${message(err)}`);
  } finally {
    await stopAll();
    if (options.keepTmp || failedRun) {
      process.off('exit', removeTmp);
      log(`configs and logs kept in ${tmp}`);
    }
  }

  const elapsedSec = (Date.now() - started) / 1000;
  process.stdout.write(formatReport({ options, machine, peers, results, notes, elapsedSec }));
  if (profileRoot !== undefined) {
    process.stdout.write(`\n### CPU profiles (${profileRoot})\n\n`);
    for (const { path, window } of profiles) {
      try {
        const summary = summarizeProfile(path, 25, window);
        process.stdout.write(`\`\`\`\n${formatProfile(path, summary)}\n\`\`\`\n\n`);
      } catch (err) {
        process.stdout.write(`${path}: ${message(err)}\n`);
      }
    }
  }
  if (failedRun) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  // Bad options, missing tools, a failed install: a message, not a stack.
  log(message(err));
  await stopAll();
  process.exitCode = 1;
}
