/**
 * The proxy's diagnostics_channel events: one `pingora-ts:proxy:request`
 * per finished request (after the logging phase) and one
 * `pingora-ts:proxy:client-abort` per client that went away, for metrics
 * exporters such as @pingora-ts/prometheus. Nothing is built unless someone subscribes.
 */
import { channel } from 'node:diagnostics_channel';
import type { ErrorType } from '@pingora-ts/error';

export interface ProxyRequestEvent {
  readonly method: string;
  /** Status sent downstream; 0 when none was (client gone). */
  readonly status: number;
  /** `ip:port` of the last upstream tried, if any. */
  readonly upstream: string | undefined;
  readonly retries: number;
  readonly upstreamReused: boolean;
  /** Time from the request head to the end of the response, ms. */
  readonly durationMs: number;
  /** ms the last attempt spent getting its upstream connection (about 0 when pooled). */
  readonly upstreamConnectMs: number | undefined;
  /** ms from the upstream connection being ready to the upstream response head. */
  readonly upstreamTtfbMs: number | undefined;
  readonly requestBodyBytes: number;
  readonly responseBodyBytes: number;
  /** The kind of the error that failed the request, if it failed. */
  readonly error: ErrorType | undefined;
}

export const proxyRequestChannel = channel('pingora-ts:proxy:request');

/** A client that went away mid-request or mid-response (logged at debug, not as an error). */
export interface ClientAbortEvent {
  /** `request`: before the response started; `response`: while it was being sent. */
  readonly phase: 'request' | 'response';
  readonly method: string;
  /** The error kind the abort surfaced as (ConnectionClosed, WriteError, ...). */
  readonly error: ErrorType;
}

/** `pingora-ts:proxy:client-abort`, one per aborted request (prometheus counts them). */
export const clientAbortChannel = channel('pingora-ts:proxy:client-abort');
