/**
 * FailureLog: how the proxy logs a request that failed. A client that went
 * away is not an error: it is logged at debug and counted (the
 * `pingora-ts:proxy:client-abort` event). An upstream failure is an error
 * line with the failure chain, rate-limited per identical message so one
 * dead upstream cannot flood the log; other failures are always logged.
 */
import type { Logger } from '@pingora-ts/core';
import { ErrorSource, ErrorType, type PingoraError } from '@pingora-ts/error';
import { type ProxyFailureFields, proxyFailureFields } from './error-log.ts';
import { ErrorLogLimiter, type ErrorLogLimiterOptions, SUPPRESSED } from './error-log-limiter.ts';
import { type ClientAbortEvent, clientAbortChannel } from './proxy-events.ts';
import type { Session } from './session.ts';

/** The logger methods the proxy uses; `debug` and `info` are optional. */
export type ProxyLogger = Pick<Logger, 'error' | 'warn'> & Partial<Pick<Logger, 'debug' | 'info'>>;

/** IO failures of the client connection: the client went away. */
const CLIENT_GONE = new Set<ErrorType>([
  ErrorType.ReadError,
  ErrorType.WriteError,
  ErrorType.ConnectionClosed,
  ErrorType.SocketError,
]);

/** True when `error` says the client went away (closed or reset its connection). */
export function isClientAbort(error: PingoraError): boolean {
  return error.source === ErrorSource.Downstream && CLIENT_GONE.has(error.type);
}

/** A failure line: the error, the phase, the peer, the request and the chain (see error-log.ts). */
export interface FailureLogFields extends ProxyFailureFields {
  /** Identical upstream errors not logged since the last logged one. */
  repeated?: number;
}

/** What the error log says about a failed request (proxyFailureFields, kept under this name). */
export function failureLogFields(
  s: Session,
  error: PingoraError,
  request: string,
): FailureLogFields {
  return proxyFailureFields(s, error, request);
}

export class FailureLog {
  readonly #logger: ProxyLogger | undefined;
  readonly #limiter: ErrorLogLimiter;

  constructor(logger: ProxyLogger | undefined, limits: ErrorLogLimiterOptions = {}) {
    this.#logger = logger;
    this.#limiter = new ErrorLogLimiter(limits);
  }

  /**
   * Logs the failure of `s` (unless the phase hook suppressed it) and
   * publishes a client abort. `summary` is called only when a line is written.
   */
  record(s: Session, error: PingoraError, suppressed: boolean, summary: () => string): void {
    if (isClientAbort(error)) {
      if (clientAbortChannel.hasSubscribers) {
        const event: ClientAbortEvent = {
          phase: s.responseStarted ? 'response' : 'request',
          method: s.reqHeader.method,
          error: error.type,
        };
        clientAbortChannel.publish(event);
      }
      if (!suppressed)
        this.#logger?.debug?.(proxyFailureFields(s, error, summary()), 'client went away');
      return;
    }
    const logger = this.#logger;
    if (suppressed || logger === undefined) return;
    let repeated = 0;
    if (error.source === ErrorSource.Upstream) {
      const limiter = this.#limiter;
      repeated = limiter.admit(error.message);
      // Counts of other errors that stopped recurring come out with this call.
      limiter.sweep((r) =>
        logger.error(
          { err: r.message, suppressed: r.suppressed, windowMs: r.windowMs },
          'identical upstream errors not logged',
        ),
      );
      if (repeated === SUPPRESSED) return;
    }
    const fields = failureLogFields(s, error, summary());
    if (repeated > 0) fields.repeated = repeated;
    logger.error(fields, 'fail to proxy');
  }
}
