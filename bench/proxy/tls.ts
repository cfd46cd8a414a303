/**
 * The TLS section of the proxy benchmark (`npm run bench:proxy-tls`): our
 * gateway terminating TLS against nginx terminating TLS with the same
 * certificate (ECDSA P-256 and RSA-2048), keep-alive /small and /64k with wrk
 * and full handshakes per second with h2load, with both in plaintext as the
 * reference, interleaved in rounds and pinned as in run.ts. Prints Markdown.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCleanup, stopAll } from './lib/children.ts';
import { describeMachine } from './lib/machine.ts';
import { startOrigin } from './lib/origin.ts';
import { makeCert, type TlsCert } from './lib/tls-certs.ts';
import { measureTls, type TlsSample } from './lib/tls-measure.ts';
import { parseTlsOptions } from './lib/tls-options.ts';
import { formatTlsReport, TlsResults } from './lib/tls-report.ts';
import { ensureTools, type Tool, toolVersion } from './lib/tools.ts';
import { writeWrkScript } from './lib/wrk.ts';
import { TLS_PEERS, type TlsSectionPeer } from './peers/tls-peers.ts';

const MAX_FAILURES = 2;

function log(line: string): void {
  process.stderr.write(`bench-tls: ${line}\n`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function main(): Promise<void> {
  installCleanup();
  const options = parseTlsOptions(
    process.argv.slice(2),
    TLS_PEERS.map((p) => p.name),
  );
  if (options === undefined) return;
  const started = Date.now();
  const deadline = started + options.timeLimitSec * 1000;
  setTimeout(
    () => {
      log('hard time limit reached, stopping');
      void stopAll().finally(() => process.exit(1));
    },
    (options.timeLimitSec + 120) * 1000,
  ).unref();

  const notes: string[] = [];
  let peers: TlsSectionPeer[] = TLS_PEERS.filter((p) => options.peers.includes(p.name));
  peers = peers.filter((p) => {
    const why = p.unavailable();
    if (why !== undefined) notes.push(`${p.name} not measured: ${why}`);
    return why === undefined;
  });
  const tools = new Set<Tool>([
    'wrk',
    'nginx',
    'h2load',
    'openssl',
    ...peers.flatMap((p) => p.tools),
  ]);
  const installed = ensureTools([...tools], options.install);
  if (installed.length > 0) notes.push(`installed with apt-get: ${installed.join(', ')}`);
  // Plaintext and TLS rows of our gateway share one build (the same prepare step).
  const prepared = new Map<() => void, string | undefined>();
  peers = peers.filter((p) => {
    if (p.prepare === undefined) return true;
    if (!prepared.has(p.prepare)) {
      try {
        p.prepare();
        prepared.set(p.prepare, undefined);
      } catch (err) {
        prepared.set(p.prepare, message(err));
      }
    }
    const why = prepared.get(p.prepare);
    if (why !== undefined) notes.push(`${p.name} not measured: ${why}`);
    return why === undefined;
  });

  const machine = describeMachine();
  machine.lines.push(`${toolVersion('h2load')}; ${toolVersion('openssl')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'pingora-ts-bench-tls-'));
  chmodSync(tmp, 0o755);
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  if (!options.keepTmp) process.on('exit', removeTmp);
  const results = new TlsResults();
  let failedRun = false;
  try {
    const certs: TlsCert[] = options.certs.map((k) => makeCert(join(tmp, 'certs'), k));
    const wrkScript = writeWrkScript(tmp);
    const origin = await startOrigin(join(tmp, 'origin'), options.loadCpu);
    log(`origin on 127.0.0.1:${origin.port}; rows: ${peers.map((p) => p.name).join(', ')}`);
    const env = { origin, options, wrkScript, tmp };
    const failures = new Map<string, number>();
    const perRunMs = (options.warmupSec + options.durationSec + 5) * 1000;
    let stopped = false;
    for (let round = 1; round <= options.rounds && !stopped; round++) {
      for (const [wi, workload] of options.workloads.entries()) {
        for (const [ci, cert] of certs.entries()) {
          for (const peer of rotate(peers, round - 1 + wi + ci)) {
            // Plaintext rows do not depend on the certificate: measured under the first only.
            if (peer.scheme === 'http' && ci > 0) continue;
            if ((failures.get(peer.name) ?? 0) >= MAX_FAILURES) continue;
            if (Date.now() + perRunMs > deadline) {
              notes.push(`time limit (${options.timeLimitSec} s) reached in round ${round}`);
              stopped = true;
              break;
            }
            const tag = `[round ${round} ${workload} ${cert.kind}] ${peer.name}`;
            const targets = peer.scheme === 'http' ? options.certs : [cert.kind];
            try {
              const s: TlsSample = await measureTls(peer, workload, cert, round, env);
              for (const k of targets) results.cell(peer.name, workload, k).samples.push(s);
              log(
                `${tag}: ${s.rps.toFixed(0)} req/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, CPU ${s.cpuPct.toFixed(0)}%, RSS ${s.rssMiB.toFixed(1)} MiB, errors ${s.errors}${s.tls === '' ? '' : `, ${s.tls}`}`,
              );
            } catch (err) {
              const n = (failures.get(peer.name) ?? 0) + 1;
              failures.set(peer.name, n);
              for (const k of targets)
                results.cell(peer.name, workload, k).failures.push(message(err));
              log(`${tag} FAILED: ${message(err)}`);
              notes.push(`${tag} failed: ${message(err).split('\n')[0]}`);
              if (n >= MAX_FAILURES) notes.push(`${peer.name} dropped after ${n} failures`);
            }
          }
          if (stopped) break;
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
  process.stdout.write(formatTlsReport({ options, machine, peers, results, notes, elapsedSec }));
  if (failedRun) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  log(message(err));
  await stopAll();
  process.exitCode = 1;
}
