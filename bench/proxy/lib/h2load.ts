/**
 * Full TLS handshakes per second with h2load: bursts of `clients` new
 * connections that each send one HTTP/1.1 request (`--h1 -n C -c C`), so
 * every request pays a TCP connect and a full handshake (h2load resumes no
 * sessions; wrk does, which is why it is not used here). Bursts repeat until
 * the duration is spent; the rate is requests done over the bursts' time.
 */
import { readFileSync } from 'node:fs';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { spawnChild } from './children.ts';

export interface HandshakeSettings {
  clients: number;
  durationSec: number;
  cpu: string | undefined;
}

export interface HandshakeResult {
  requests: number;
  /** Summed wall time of the bursts (µs). */
  durationUs: number;
  errors: number;
  rps: number;
  /** Mean time to connect and handshake, µs (mean over bursts). */
  connectUs: number;
  /** The protocol and cipher h2load reported, e.g. `TLSv1.3 TLS_AES_256_GCM_SHA384`. */
  tls: string;
}

/** Parses one h2load run's output. */
export function parseH2load(out: string): Omit<HandshakeResult, 'rps'> {
  const finished = /finished in ([\d.]+)(ms|s),/.exec(out);
  const reqs =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  if (finished === null || reqs === null) {
    throw PingoraError.explain(
      ErrorType.InternalError,
      `h2load printed no result:\n${out.slice(-800)}`,
    );
  }
  const secs = Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1);
  const connect = /time for connect:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(out);
  const unit = connect?.[2] === 's' ? 1e6 : connect?.[2] === 'ms' ? 1e3 : 1;
  const proto = /TLS Protocol: (\S+)/.exec(out)?.[1];
  const cipher = /Cipher: (\S+)/.exec(out)?.[1] ?? '';
  return {
    requests: Number(reqs[4]),
    durationUs: secs * 1e6,
    errors: Number(reqs[5]) + Number(reqs[6]) + Number(reqs[7]),
    connectUs: connect === null ? 0 : Number(connect[1]) * unit,
    tls: proto === undefined ? 'plaintext' : `${proto} ${cipher}`,
  };
}

async function burst(url: string, s: HandshakeSettings, logPath: string): Promise<string> {
  const args = ['--h1', '-n', String(s.clients), '-c', String(s.clients), url];
  const child = spawnChild('h2load', 'h2load', args, { cpu: s.cpu, logPath });
  const timer = setTimeout(() => void child.stop({ graceMs: 1000 }), 60_000);
  const code = await child.exited;
  clearTimeout(timer);
  const out = readFileSync(logPath, 'utf8');
  if (code !== 0) {
    throw PingoraError.explain(
      ErrorType.InternalError,
      `h2load ${args.join(' ')} exited with ${code}:\n${out.slice(-800)}`,
    );
  }
  return out;
}

/** Runs bursts against `url` until `durationSec` of wall time is spent (at least one). */
export async function runHandshakes(
  url: string,
  settings: HandshakeSettings,
  logPrefix: string,
): Promise<HandshakeResult> {
  const stopAt = Date.now() + settings.durationSec * 1000;
  const total = { requests: 0, durationUs: 0, errors: 0, connectUs: 0, tls: '' };
  let bursts = 0;
  // Bounded: each burst ends (or is stopped at 60 s) and the loop ends at the deadline.
  do {
    const r = parseH2load(await burst(url, settings, `${logPrefix}-${bursts}.log`));
    total.requests += r.requests;
    total.durationUs += r.durationUs;
    total.errors += r.errors;
    total.connectUs += r.connectUs;
    total.tls = r.tls;
    bursts++;
  } while (Date.now() < stopAt && bursts < 1000);
  return {
    ...total,
    connectUs: total.connectUs / bursts,
    rps: total.durationUs > 0 ? (total.requests * 1e6) / total.durationUs : 0,
  };
}
