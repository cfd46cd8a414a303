/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): reads a
 * `traceparent`/`tracestate` pair from a request head into a remote span
 * context, and writes a span context back as those two headers. Strict on
 * input: a malformed or all-zero traceparent is ignored (a new trace starts),
 * an oversized tracestate is dropped, as the specification asks.
 */

import { createTraceState, type SpanContext, TraceFlags } from '@opentelemetry/api';
import type { RequestHeader } from '@pingora-ts/http';
import { trimOws } from '@pingora-ts/http';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** A tracestate longer than this is dropped whole (the spec allows 32 members of 256+). */
const MAX_TRACESTATE_LENGTH = 8192;
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The remote span context a request carries, or undefined when it carries none (or a bad one). */
export function extractTraceContext(req: RequestHeader): SpanContext | undefined {
  const header = req.getHeader(TRACEPARENT);
  if (header === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(trimOws(header));
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has exactly four fields; later versions may add more.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  const states = req.getAll(TRACESTATE);
  if (states.length > 0) {
    const joined = states.join(',');
    if (joined.length <= MAX_TRACESTATE_LENGTH) context.traceState = createTraceState(joined);
  }
  return context;
}

/** `00-<trace id>-<span id>-<flags>` for `context`. */
export function formatTraceparent(context: SpanContext): string {
  const flags = context.traceFlags & TraceFlags.SAMPLED ? '01' : '00';
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** Sets traceparent (and tracestate, or removes a stale one) on an outgoing request head. */
export function injectTraceContext(req: RequestHeader, context: SpanContext): void {
  req.insertHeader(TRACEPARENT, formatTraceparent(context));
  const state = context.traceState?.serialize();
  if (state !== undefined && state !== '') req.insertHeader(TRACESTATE, state);
  else req.removeHeader(TRACESTATE);
}
