/**
 * Whether a failed request may be retried (Pingora's RetryType): decided now
 * (`true`/`false`), or `'reused-only'`: retry only if the failure happened on a
 * connection taken from the pool, because a stale pooled connection is the
 * likely culprit and a fresh one is expected to succeed.
 */

export type RetryType = boolean | 'reused-only';

/** Resolves a retry decision once it is known whether the connection was reused. */
export function decideRetry(retry: RetryType, reusedConnection: boolean): boolean {
  return retry === 'reused-only' ? reusedConnection : retry;
}
