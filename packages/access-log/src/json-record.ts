/**
 * The JSON access-log record of a finished request: one flat object literal
 * (no per-field closures), which pino serializes as one line. Durations are
 * ms with µs precision; upstream fields are absent when no upstream was used.
 */
import { formatSocketAddr } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import type { Session } from '@pingora-ts/proxy';
import { requestIdOf } from './request-id.ts';

/** One access-log record (the keys of a JSON line besides `time`). */
export interface AccessRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Request body bytes read from the client. */
  readonly bytes_in: number;
  /** Response body bytes written to the client. */
  readonly bytes_out: number;
  /** From the request head to the end of the response. */
  readonly duration_ms: number;
  /** Getting the upstream connection on the last attempt (about 0 when pooled). */
  readonly upstream_connect_ms: number | undefined;
  /** From the upstream connection being ready to the upstream response head. */
  readonly upstream_ttfb_ms: number | undefined;
  /** `ip:port` of the last upstream tried. */
  readonly peer: string | undefined;
  /** Whether the last upstream connection came from the pool. */
  readonly reused: boolean | undefined;
  readonly retries: number;
  /** The client's `ip:port`. */
  readonly client: string | undefined;
  readonly user_agent: string | undefined;
  readonly request_id: string | undefined;
  /** The kind of the error that failed the request. */
  readonly error: string | undefined;
}

function ms(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function accessRecord(
  s: Session,
  error: PingoraError | undefined,
  now: number,
): AccessRecord {
  const req = s.reqHeader;
  const peer = s.upstreamPeer;
  const connect = s.upstreamConnectMs;
  const ttfb = s.upstreamTtfbMs;
  return {
    method: req.method,
    path: req.target,
    status: s.downstream.responseWritten?.status ?? 0,
    bytes_in: s.downstream.requestBodyBytes,
    bytes_out: s.responseBodyBytes,
    duration_ms: ms(now - s.startedAt),
    upstream_connect_ms: connect === undefined ? undefined : ms(connect),
    upstream_ttfb_ms: ttfb === undefined ? undefined : ms(ttfb),
    peer: peer === undefined ? undefined : formatSocketAddr(peer.address),
    reused: peer === undefined ? undefined : s.upstreamReused,
    retries: s.retries,
    client: s.clientAddr,
    user_agent: req.getHeader('user-agent'),
    request_id: requestIdOf(s),
    error: error?.kindName(),
  };
}
