/**
 * Reads the numbers the HTTP/1 comparison needs out of `wrk --latency`
 * output: requests per second, the 50th and 99th latency percentiles in
 * milliseconds, the request count, and the socket error and non-2xx counts.
 */

export interface WrkResult {
  readonly requestsPerSec: number;
  /** Requests completed in the run. */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  if (unit === 'us') return v / 1000;
  if (unit === 's') return v * 1000;
  if (unit === 'm') return v * 60_000;
  return v;
}

export function parseWrk(out: string, seconds: number): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out);
  if (rps === null || p50 === null || p99 === null) {
    throw new Error(`unexpected wrk output:\n${out}`);
  }
  let errors = 0;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out,
  );
  if (socketErrors !== null) errors += socketErrors.slice(1).reduce((a, b) => a + Number(b), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx !== null) errors += Number(non2xx[1]);
  const total = /(\d+) requests in/.exec(out);
  return {
    requestsPerSec: Number(rps[1]),
    requests: total === null ? Number(rps[1]) * seconds : Number(total[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    errors,
  };
}
