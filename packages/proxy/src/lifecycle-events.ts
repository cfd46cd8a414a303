/**
 * diagnostics_channel events along a proxied request, for tracers and error
 * reporters (@pingora-ts/otel, @pingora-ts/sentry): request start and end,
 * each upstream attempt's start, its request head (mutable: trace headers
 * go in here) and its end, and the failure a request ends with. Each is
 * published only when someone subscribes: a proxy without them pays one
 * `hasSubscribers` read per point.
 */
import { channel } from 'node:diagnostics_channel';
import type { HttpPeer } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';
import type { Session } from './session.ts';

/** `pingora-ts:proxy:request-start`: a request head was read; the phases start. */
export interface RequestStartEvent {
  readonly session: Session;
}

/** `pingora-ts:proxy:request-end`: after the logging phase. */
export interface RequestEndEvent {
  readonly session: Session;
  readonly error: PingoraError | undefined;
}

/** `pingora-ts:proxy:attempt-start`: an upstream attempt begins (before its connect). */
export interface AttemptStartEvent {
  readonly session: Session;
  readonly peer: HttpPeer;
  /** 0 for the first attempt, then 1, 2, ... on retries. */
  readonly attempt: number;
}

/**
 * `pingora-ts:proxy:upstream-request`: the attempt's request head, after
 * upstreamRequestFilter and just before it is written; subscribers may add
 * headers to it (trace context).
 */
export interface UpstreamRequestEvent {
  readonly session: Session;
  readonly request: RequestHeader;
}

/** `pingora-ts:proxy:attempt-end`: the attempt finished, with its error if it failed. */
export interface AttemptEndEvent {
  readonly session: Session;
  readonly peer: HttpPeer;
  readonly error: PingoraError | undefined;
}

/** `pingora-ts:proxy:failure`: the request failed and is about to be answered (failToProxy). */
export interface ProxyFailureEvent {
  readonly session: Session;
  readonly error: PingoraError;
}

export const proxyLifecycleChannels = {
  requestStart: channel('pingora-ts:proxy:request-start'),
  requestEnd: channel('pingora-ts:proxy:request-end'),
  attemptStart: channel('pingora-ts:proxy:attempt-start'),
  upstreamRequest: channel('pingora-ts:proxy:upstream-request'),
  attemptEnd: channel('pingora-ts:proxy:attempt-end'),
  failure: channel('pingora-ts:proxy:failure'),
} as const;
