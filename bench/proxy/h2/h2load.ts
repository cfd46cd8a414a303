/**
 * Runs h2load (Debian's nghttp2-client) against one h2c or h2 endpoint and
 * reads its summary: requests per second, succeeded and failed requests, and
 * the mean time per request. The warm-up is h2load's own (`--warm-up-time`,
 * same connections), and `onMeasure` runs when the measured part starts, so
 * the caller can sample the peer's CPU over exactly that part. Bounded by
 * its duration plus a margin.
 */
import { spawn } from 'node:child_process';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface H2loadResult {
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly meanMs: number;
}

export interface H2loadRun {
  readonly url: string;
  /** Connections, and concurrent streams on each. */
  readonly clients: number;
  readonly streams: number;
  /** Measured seconds, after `warmup` seconds of the same load on the same connections. */
  readonly seconds: number;
  readonly warmup: number;
  /** taskset CPU list for h2load, or undefined. */
  readonly cpu: string | undefined;
  /** Called when the measured part starts (after the warm-up). */
  readonly onMeasure?: () => void;
}

export function runH2load(run: H2loadRun): Promise<H2loadResult> {
  // -N: a connection silent for 10 s is dropped, so a stuck peer fails the cell instead of hanging h2load.
  const args = ['-c', String(run.clients), '-m', String(run.streams), '-D', String(run.seconds)];
  args.push('-N', '10');
  if (run.warmup > 0) args.push('--warm-up-time', String(run.warmup));
  args.push(run.url);
  const [cmd, argv] =
    run.cpu === undefined ? ['h2load', args] : ['taskset', ['-c', run.cpu, 'h2load', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const measure = setTimeout(() => run.onMeasure?.(), run.warmup * 1000);
    const limit = setTimeout(() => child.kill('SIGKILL'), (run.seconds + run.warmup + 30) * 1000);
    child.once('error', (err) => {
      clearTimeout(measure);
      clearTimeout(limit);
      reject(err);
    });
    child.once('close', (status) => {
      clearTimeout(measure);
      clearTimeout(limit);
      const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
      const reqs = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(
        out,
      );
      const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out);
      if (rps === null || reqs === null) {
        reject(
          PingoraError.explain(
            ErrorType.InternalError,
            `h2load ${args.join(' ')} gave no summary (status ${status}): ${out.slice(-400)}`,
          ),
        );
        return;
      }
      resolve({
        rps: Number(rps[1]),
        succeeded: Number(reqs[1]),
        failed: Number(reqs[2]),
        meanMs: mean === null ? Number.NaN : toMs(mean[1] as string),
      });
    });
  });
}

function toMs(text: string): number {
  const n = Number.parseFloat(text);
  if (text.endsWith('us')) return n / 1000;
  if (text.endsWith('ms')) return n;
  if (text.endsWith('s')) return n * 1000;
  return n;
}
