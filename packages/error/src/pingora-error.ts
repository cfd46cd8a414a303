/**
 * PingoraError: the one error class of pingora-ts (mirrors pingora-error's
 * Error). A kind (`type`), the side it came from (`source`), a retry decision,
 * a human context and a `cause` chain. There are no subclasses: code branches
 * on `type`, and `PingoraError.is()` works across duplicate installs.
 */
import { ErrorSource } from './error-source.ts';
import { ErrorType, errorCode } from './error-type.ts';
import { decideRetry, type RetryType } from './retry-type.ts';

const BRAND = Symbol.for('pingora-ts.error');

export interface PingoraErrorOptions {
  source?: ErrorSource;
  retry?: RetryType;
  context?: string;
  cause?: unknown;
  /** The status code of an `HTTPStatus` error. */
  status?: number;
}

export class PingoraError extends Error {
  readonly type: ErrorType;
  source: ErrorSource;
  retry: RetryType;
  context: string | undefined;
  /** The HTTP status for `HTTPStatus` errors, else undefined. */
  readonly status: number | undefined;
  declare readonly cause: unknown;

  constructor(type: ErrorType, options: PingoraErrorOptions = {}) {
    super('', options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PingoraError';
    this.type = type;
    this.source = options.source ?? ErrorSource.Unset;
    this.retry = options.retry ?? false;
    this.context = options.context;
    this.status = options.status;
    this.message = this.#describe();
  }

  /**
   * The Node-style code of the error's kind, e.g. `ERR_PINGORA_CONNECT_REFUSED`
   * (`type` is the same kind as Pingora names it).
   */
  get code(): string {
    return errorCode(this.type);
  }

  /** True for a PingoraError from any copy of this package. */
  static is(value: unknown): value is PingoraError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true
    );
  }

  /** A new error of `type` from `source`, with an optional context and cause. */
  static create(
    type: ErrorType,
    source: ErrorSource,
    context?: string,
    cause?: unknown,
  ): PingoraError {
    return new PingoraError(type, omitUndefined({ source, context, cause }));
  }

  /**
   * A new error of `type` seen in an event callback (a socket closed, a timer
   * fired), without a stack: an event's stack names only the emitter, and
   * capturing it is most of the cost on paths that run once per connection.
   */
  static observed(type: ErrorType, source: ErrorSource, context: string): PingoraError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new PingoraError(type, { source, context });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** A new error of `type` that explains what was being done (Pingora's explain_err). */
  static explain(type: ErrorType, context: string): PingoraError {
    return new PingoraError(type, { context });
  }

  /** A new error of `type` caused by `cause` (Pingora's because / or_err). */
  static because(type: ErrorType, context: string, cause: unknown): PingoraError {
    return new PingoraError(type, { context, cause });
  }

  /** An error that a proxy answers with the given HTTP status. */
  static httpStatus(status: number, context?: string, source?: ErrorSource): PingoraError {
    return new PingoraError(
      ErrorType.HTTPStatus,
      omitUndefined({ status, context, source: source ?? ErrorSource.Internal }),
    );
  }

  /**
   * Prepends context, keeping what was there (Pingora's more_context):
   * `"while proxying: peer 10.0.0.1:80"`.
   */
  moreContext(context: string): this {
    this.context = this.context === undefined ? context : `${context}: ${this.context}`;
    this.message = this.#describe();
    return this;
  }

  /** Marks the error as coming from the upstream side. */
  asUpstream(): this {
    return this.withSource(ErrorSource.Upstream);
  }

  /** Marks the error as coming from the downstream side. */
  asDownstream(): this {
    return this.withSource(ErrorSource.Downstream);
  }

  /** Marks the error as coming from our own code. */
  asInternal(): this {
    return this.withSource(ErrorSource.Internal);
  }

  withSource(source: ErrorSource): this {
    this.source = source;
    this.message = this.#describe();
    return this;
  }

  withRetry(retry: RetryType): this {
    this.retry = retry;
    return this;
  }

  /** Whether a retry makes sense, given whether the failing connection was reused. */
  retryable(reusedConnection: boolean): boolean {
    return decideRetry(this.retry, reusedConnection);
  }

  /** The innermost cause of the chain (this error if it has none). */
  rootCause(): unknown {
    let current: unknown = this;
    for (let depth = 0; depth < 64; depth++) {
      if (typeof current !== 'object' || current === null) return current;
      const next = (current as { cause?: unknown }).cause;
      if (next === undefined || next === null) return current;
      current = next;
    }
    return current;
  }

  /** The kind as printed: `HTTPStatus(502)` for statuses, the kind name otherwise. */
  kindName(): string {
    return this.type === ErrorType.HTTPStatus && this.status !== undefined
      ? `${this.type}(${this.status})`
      : this.type;
  }

  /** One line: `Upstream ConnectRefused context: peer 127.0.0.1:9 cause: connect ECONNREFUSED` */
  override toString(): string {
    return this.message;
  }

  #describe(): string {
    let line =
      this.source === ErrorSource.Unset ? this.kindName() : `${this.source} ${this.kindName()}`;
    if (this.context !== undefined && this.context !== '') line += ` context: ${this.context}`;
    const cause = this.cause;
    if (cause !== undefined && cause !== null) line += ` cause: ${describeCause(cause)}`;
    return line;
  }
}

Object.defineProperty(PingoraError.prototype, BRAND, { value: true });

function describeCause(cause: unknown): string {
  if (PingoraError.is(cause)) return cause.message;
  if (cause instanceof Error) {
    const nested = (cause as { cause?: unknown }).cause;
    return nested === undefined || nested === null
      ? cause.message
      : `${cause.message} cause: ${describeCause(nested)}`;
  }
  return String(cause);
}

function omitUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
