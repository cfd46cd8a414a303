/**
 * Retry safety for requests on reused connections (Pingora's "decided by
 * reuse" rule). A pooled connection may have been closed by the upstream just
 * as we picked it; the request then fails before any response byte arrives.
 * Such a failure is safe to retry once on a fresh connection; the same failure
 * on a fresh connection, or any failure after response bytes, is not.
 */
import { decideRetry, ErrorType, type PingoraError } from '@pingora-ts/error';

/**
 * The kinds a stale connection produces: the peer closed or reset it, or
 * reading or writing failed. Timeouts are excluded (the upstream may be busy
 * with the request) and so are protocol errors (it answered something).
 */
const STALE_CONNECTION_KINDS = new Set<string>([
  ErrorType.ConnectionClosed,
  ErrorType.ReadError,
  ErrorType.WriteError,
]);

export interface ReuseFacts {
  /** The connection came from the pool. */
  readonly reused: boolean;
  /** At least one byte of the response arrived. */
  readonly responseStarted: boolean;
}

/**
 * Marks `error` retryable by reuse when it is a connection failure that
 * happened before any response byte, then resolves the decision with
 * whether the connection was reused. After response bytes a "reused only"
 * mark is withdrawn; an explicit `true` or `false` is kept. Returns the same error.
 */
export function decideRetryByReuse(error: PingoraError, facts: ReuseFacts): PingoraError {
  return markRetryByReuse(error, facts).withRetry(decideRetry(error.retry, facts.reused));
}

/**
 * The marking half of decideRetryByReuse: a connection failure before any
 * response byte becomes "reused only", a "reused only" mark after response
 * bytes is withdrawn, and the decision itself is left for later (the proxy's
 * errorWhileProxy phase sees the mark and decides with the reuse fact).
 */
export function markRetryByReuse(error: PingoraError, facts: ReuseFacts): PingoraError {
  if (facts.responseStarted) {
    // Part of a response was seen: resending could duplicate or mix answers.
    if (error.retry === 'reused-only') error.withRetry(false);
  } else if (error.retry === false && STALE_CONNECTION_KINDS.has(error.type)) {
    error.withRetry('reused-only');
  }
  return error;
}
