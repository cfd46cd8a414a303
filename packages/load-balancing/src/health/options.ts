/**
 * Validation of health-check options: bad values are ConfigErrors at
 * construction, not surprises during a check.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** A consecutive-results threshold: an integer from 1 to 1000, default 1. */
export function threshold(value: number | undefined, what: string): number {
  return bounded(value ?? 1, what, 1, 1000);
}

/** A positive integer (milliseconds, bytes, port) up to `max`. */
export function positiveInt(value: number, what: string, max = 3_600_000): number {
  return bounded(value, what, 1, max);
}

function bounded(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `health check ${what} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
