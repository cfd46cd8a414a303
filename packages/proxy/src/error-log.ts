/**
 * The fields of a proxy's error-log line (and of the other failure reports):
 * the error's kind, source and retry decision, the phase that failed, the
 * peer, the request summary and the cause chain with the root cause's stack,
 * shaped as pino's `err` serializer output so log tools read it as usual.
 */
import { PingoraError } from '@pingora-ts/error';
import type { Session } from './session.ts';

/** One link of an error's cause chain. */
export interface SerializedCause {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
}

/** A PingoraError as the error log writes it (pino's `err` shape plus the pingora fields). */
export interface SerializedProxyError {
  /** The class name, as pino writes it (`PingoraError`). */
  readonly type: string;
  /** The error kind (`ConnectRefused`, `HTTPStatus(502)`). */
  readonly kind: string;
  readonly source: string;
  /** The retry decision: true, false or `reused-only`. */
  readonly retry: boolean | 'reused-only';
  readonly message: string;
  readonly context: string | undefined;
  /** The causes below this error, outermost first (at most 16). */
  readonly causes: SerializedCause[];
  /** The stack of the root cause (the deepest Error of the chain). */
  readonly stack: string | undefined;
}

/** What the proxy writes with every failure it logs. */
export interface ProxyFailureFields {
  readonly err: SerializedProxyError;
  /** The proxy phase that failed (a ProxyPhase value). */
  readonly phase: string;
  /** The upstream peer of the last attempt, if one was chosen. */
  readonly peer: string | undefined;
  /** Upstream attempts that were retried before this failure. */
  readonly retries: number;
  /** `GET /path, Host: example.com` (or the app's requestSummary). */
  readonly request: string;
  /**
   * With two or more failed attempts: their messages, oldest first (the
   * first failure, the retried ones, the last; a gap is marked).
   */
  readonly failures?: string[];
}

const MAX_CAUSES = 16;

/** Serializes any thrown value with its cause chain and the root cause's stack. */
export function serializeProxyError(error: unknown): SerializedProxyError {
  const e = PingoraError.is(error) ? error : undefined;
  const causes: SerializedCause[] = [];
  let root: unknown = error;
  let next: unknown = (error as { cause?: unknown } | null)?.cause;
  while (next !== undefined && next !== null && causes.length < MAX_CAUSES) {
    causes.push(describeCause(next));
    root = next;
    next = typeof next === 'object' ? (next as { cause?: unknown }).cause : undefined;
  }
  const stackOwner = root instanceof Error ? root : error instanceof Error ? error : undefined;
  return {
    type: error instanceof Error ? error.constructor.name : typeof error,
    kind: e !== undefined ? e.kindName() : 'Unknown',
    source: e !== undefined ? e.source : 'Unset',
    retry: e !== undefined ? e.retry : false,
    message: error instanceof Error ? error.message : String(error),
    context: e?.context,
    causes,
    stack: stackOwner?.stack,
  };
}

/** The failure fields of `error` on session `s`, with the given request summary. */
export function proxyFailureFields(
  s: Session,
  error: unknown,
  request: string,
): ProxyFailureFields {
  const fields = {
    err: serializeProxyError(error),
    phase: s.phase,
    peer: s.upstreamPeer?.toString(),
    retries: s.retries,
    request,
  };
  const chain = s.upstreamFailures;
  if (chain.length < 2) return fields;
  const failures = chain.map((e) => e.message);
  const dropped = s.upstreamFailuresDropped;
  if (dropped > 0) failures.splice(1, 0, `(${dropped} more failures)`);
  return { ...fields, failures };
}

function describeCause(cause: unknown): SerializedCause {
  if (PingoraError.is(cause)) return { type: 'PingoraError', message: cause.message };
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string'
      ? { type: cause.constructor.name, message: cause.message, code }
      : { type: cause.constructor.name, message: cause.message };
  }
  return { type: typeof cause, message: String(cause) };
}
