/**
 * Runs h2load (Debian's nghttp2-client) against one h2c endpoint and reads
 * its summary: requests per second, succeeded and failed requests, and the
 * mean time per request. Bounded by its duration plus a margin.
 */
import { spawnSync } from 'node:child_process';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface H2loadResult {
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly meanMs: number;
}

/** `clients` connections with `streams` concurrent streams each, for `seconds` after `warmup`. */
export function runH2load(
  url: string,
  clients: number,
  streams: number,
  seconds: number,
  warmup: number,
  cpu: string | undefined,
): H2loadResult {
  // -N: a connection silent for 10 s is dropped, so a stuck peer fails the cell instead of hanging h2load.
  const args = ['-c', String(clients), '-m', String(streams), '-D', String(seconds), '-N', '10'];
  if (warmup > 0) args.push('--warm-up-time', String(warmup));
  args.push(url);
  const [cmd, argv] =
    cpu === undefined ? ['h2load', args] : ['taskset', ['-c', cpu, 'h2load', ...args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: (seconds + warmup + 30) * 1000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const reqs = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(
    out,
  );
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out);
  if (rps === null || reqs === null) {
    throw PingoraError.explain(
      ErrorType.InternalError,
      `h2load ${args.join(' ')} gave no summary (status ${r.status}): ${out.slice(-400)}`,
    );
  }
  return {
    rps: Number(rps[1]),
    succeeded: Number(reqs[1]),
    failed: Number(reqs[2]),
    meanMs: mean === null ? Number.NaN : toMs(mean[1] as string),
  };
}

function toMs(text: string): number {
  const n = Number.parseFloat(text);
  if (text.endsWith('us')) return n / 1000;
  if (text.endsWith('ms')) return n;
  if (text.endsWith('s')) return n * 1000;
  return n;
}
