/**
 * Argument checks shared by MemoryCache and RTCache: sizes, TTLs and
 * timeouts in milliseconds. A bad one is a ConfigError PingoraError naming
 * the argument, thrown before anything changes.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** The longest timeout setTimeout honours (about 24.8 days); longer ones fire at once. */
const MAX_MS = 2 ** 31 - 1;

export function checkCount(what: string, n: number, max: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `${what} must be an integer from 1 to ${max}, got ${String(n)}`,
    );
  }
  return n;
}

/** A TTL: undefined (never expires) or milliseconds >= 0 (0: do not store). */
export function checkTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (typeof ttlMs !== 'number' || !(ttlMs >= 0)) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `cache TTL must be a number of ms >= 0 or undefined, got ${String(ttlMs)}`,
    );
  }
}

/** A timeout or age in ms: undefined, or an integer from 1 to 2^31 - 1 (what setTimeout takes). */
export function checkMs(what: string, ms: number | undefined): void {
  if (ms === undefined) return;
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_MS) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `${what} must be an integer number of ms from 1 to ${MAX_MS}, got ${String(ms)}`,
    );
  }
}

/** A cache key: a string, number or bigint (what TinyUFO can count). */
export function checkKey(key: unknown): void {
  const t = typeof key;
  if (t !== 'string' && t !== 'number' && t !== 'bigint') {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `cache key must be a string, number or bigint, got ${t}`,
    );
  }
}
