/**
 * One measurement of the TLS section: start a row on a free port with the
 * run's certificate, check it answers the workload's path correctly (over
 * TLS for TLS rows), warm up, then measure keep-alive load with wrk or full
 * handshakes with h2load bursts, with the row's CPU time and peak RSS, and
 * stop it whatever happened.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { TlsPeerContext, TlsSectionPeer } from '../peers/tls-peers.ts';
import { runHandshakes } from './h2load.ts';
import { freePort, HOST, httpGet, waitForPort } from './net.ts';
import { type Origin, WORKLOADS } from './origin.ts';
import { cpuSeconds, peakRssMiB } from './rss.ts';
import type { TlsCert } from './tls-certs.ts';
import type { TlsOptions, TlsWorkload } from './tls-options.ts';
import { runWrk } from './wrk.ts';

export interface TlsSample {
  rps: number;
  /** wrk's p50/p99 for keep-alive runs; h2load's mean connect+handshake time for handshakes. */
  p50Ms: number;
  p99Ms: number;
  cpuPct: number;
  reqPerCpuSec: number;
  rssMiB: number;
  errors: number;
  /** What h2load negotiated (handshake runs), '' otherwise. */
  tls: string;
}

export interface TlsMeasureEnv {
  origin: Origin;
  options: TlsOptions;
  wrkScript: string;
  tmp: string;
}

/** GET over TLS on a new connection, accepting the self-signed run certificate. */
function httpsGet(
  port: number,
  path: string,
  ca: string,
): Promise<{ status: number; size: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: HOST, port, path, agent: false, timeout: 5000, servername: 'localhost', ca },
      (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, size }));
        res.once('error', reject);
      },
    );
    req.once('timeout', () =>
      req.destroy(PingoraError.explain(ErrorType.ReadTimedout, `GET ${path}`)),
    );
    req.once('error', (err) =>
      reject(PingoraError.because(ErrorType.ReadError, `GET ${path}`, err)),
    );
    req.end();
  });
}

export async function measureTls(
  peer: TlsSectionPeer,
  workload: TlsWorkload,
  cert: TlsCert,
  round: number,
  env: TlsMeasureEnv,
): Promise<TlsSample> {
  const o = env.options;
  const path = workload === '64k' ? WORKLOADS['64k'].path : WORKLOADS.small.path;
  const bodyBytes = workload === '64k' ? WORKLOADS['64k'].bodyBytes : WORKLOADS.small.bodyBytes;
  const dir = join(env.tmp, `${peer.name}-${workload}-${cert.kind}-r${round}`);
  mkdirSync(dir, { recursive: true });
  const ctx: TlsPeerContext = {
    originHost: env.origin.host,
    originPort: env.origin.port,
    port: await freePort(),
    sparePort: await freePort(),
    dir,
    cpu: o.proxyCpu,
    nodeArgs: peer.node ? o.nodeFlags : [],
    connections: o.connections,
    cert,
    tickets: workload !== 'handshake',
  };
  const child = peer.start(ctx);
  try {
    await waitForPort(ctx.port, child, 20_000);
    const check =
      peer.scheme === 'https'
        ? await httpsGet(ctx.port, path, readFileSync(cert.certPath, 'utf8'))
        : await httpGet(ctx.port, path).then((r) => ({ status: r.status, size: r.body.length }));
    if (check.status !== 200 || check.size !== bodyBytes) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${peer.name} answered GET ${path} with ${check.status} and ${check.size} bytes, want 200 and ${bodyBytes}`,
      );
    }
    const url = `${peer.scheme}://${HOST}:${ctx.port}${path}`;
    const wrk = { connections: o.connections, threads: 1, cpu: o.loadCpu };
    if (o.warmupSec > 0) {
      // Keep-alive warm-up for every workload: V8 compiles the hot path either way.
      await runWrk(
        url,
        { ...wrk, durationSec: o.warmupSec },
        env.wrkScript,
        join(dir, 'warmup.log'),
      );
    }
    const cpuBefore = cpuSeconds(child.pid);
    const wallStart = performance.now();
    let sample: Omit<TlsSample, 'cpuPct' | 'reqPerCpuSec' | 'rssMiB'> & { requests: number };
    if (workload === 'handshake') {
      const r = await runHandshakes(
        url,
        { clients: o.handshakeClients, durationSec: o.durationSec, cpu: o.loadCpu },
        join(dir, 'h2load'),
      );
      sample = {
        rps: r.rps,
        p50Ms: r.connectUs / 1000,
        p99Ms: r.connectUs / 1000,
        errors: r.errors,
        tls: r.tls,
        requests: r.requests,
      };
    } else {
      const r = await runWrk(
        url,
        { ...wrk, durationSec: o.durationSec },
        env.wrkScript,
        join(dir, 'wrk.log'),
      );
      sample = {
        rps: r.rps,
        p50Ms: r.p50Us / 1000,
        p99Ms: r.p99Us / 1000,
        errors: r.errors,
        tls: '',
        requests: r.requests,
      };
    }
    const cpu = cpuSeconds(child.pid) - cpuBefore;
    // Wall time, not the load tool's: h2load bursts leave gaps the proxy also idles through.
    const wallUs = (performance.now() - wallStart) * 1000;
    if (child.exitCode() !== undefined) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `${peer.name} exited during the run (code ${child.exitCode()}):\n${child.logTail()}`,
      );
    }
    return {
      rps: sample.rps,
      p50Ms: sample.p50Ms,
      p99Ms: sample.p99Ms,
      errors: sample.errors,
      tls: sample.tls,
      cpuPct: wallUs > 0 ? (100 * cpu * 1e6) / wallUs : 0,
      reqPerCpuSec: cpu > 0 ? sample.requests / cpu : 0,
      rssMiB: peakRssMiB(child.pid),
    };
  } finally {
    await peer.stop(child, ctx);
  }
}
