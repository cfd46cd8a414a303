/**
 * Runs a health check over a backend list with bounded concurrency and a hard
 * time limit per check, turning every outcome into "passed" or a PingoraError,
 * so one hung or throwing check never stalls or crashes a health-check round.
 */
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Backend } from '../backend.ts';
import type { HealthCheck } from './health-check.ts';

export async function runChecks(
  check: HealthCheck,
  backends: readonly Backend[],
  concurrency: number,
  timeoutMs: number,
  report: (backend: Backend, error: PingoraError | undefined) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < backends.length) {
      const backend = backends[next++]!;
      report(backend, await checkOnce(check, backend, timeoutMs));
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(concurrency, backends.length); i++) workers.push(worker());
  await Promise.all(workers);
}

/** One check: undefined if it passed, else why it failed (including running out of time). */
export function checkOnce(
  check: HealthCheck,
  backend: Backend,
  timeoutMs: number,
): Promise<PingoraError | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error: PingoraError | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(error);
    };
    const timer = setTimeout(
      () =>
        finish(
          PingoraError.create(
            ErrorType.ReadTimedout,
            ErrorSource.Upstream,
            `health check of ${backend.addr} did not finish within ${timeoutMs}ms`,
          ),
        ),
      timeoutMs,
    );
    let pending: Promise<void>;
    try {
      pending = check.check(backend);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => finish(undefined),
      (err: unknown) =>
        finish(
          PingoraError.is(err)
            ? err
            : toPingoraError(err, {
                source: ErrorSource.Upstream,
                context: `health check of ${backend.addr}`,
              }),
        ),
    );
  });
}
