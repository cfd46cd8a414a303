/**
 * Options of HTTP/1 server sessions: head limits, the four timeouts (idle
 * between requests, head, body, write) and body limits, with the defaults a
 * public-facing server can run with. Resolved once per service, shared by
 * every session it creates.
 */
import { DEFAULT_HEAD_LIMITS, type HeadLimits } from './head-parser.ts';

export interface H1ServerOptions {
  /** Head size, header count and request-line limits (431 / 414 past them). */
  readonly headLimits?: Partial<HeadLimits>;
  /** Idle wait for the next request on a kept-alive connection. Default 60 s. */
  readonly keepaliveTimeoutMs?: number;
  /** Time to receive a whole request head (first request: from accept; later ones: from their first byte); 408 past it. Default 30 s. */
  readonly headerTimeoutMs?: number;
  /** Longest wait for the next request body bytes. Default 60 s. */
  readonly bodyTimeoutMs?: number;
  /** Longest time a response write may stay blocked on a full send buffer. Default 60 s. */
  readonly writeTimeoutMs?: number;
  /** Largest request body accepted (413 past it). Default unlimited. */
  readonly maxRequestBodyBytes?: number;
  /** Unread request body discarded to keep a connection alive; more closes it instead. Default 64 KiB. */
  readonly maxDrainBytes?: number;
  /** Add a cached `Date` header to responses that have none. Default true. */
  readonly addDateHeader?: boolean;
}

export interface ResolvedH1ServerOptions {
  readonly headLimits: HeadLimits;
  readonly keepaliveTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  readonly maxDrainBytes: number;
  readonly addDateHeader: boolean;
}

export function resolveH1ServerOptions(options: H1ServerOptions = {}): ResolvedH1ServerOptions {
  return Object.freeze({
    headLimits: Object.freeze({ ...DEFAULT_HEAD_LIMITS, ...options.headLimits }),
    keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 60_000,
    headerTimeoutMs: options.headerTimeoutMs ?? 30_000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 60_000,
    maxRequestBodyBytes: options.maxRequestBodyBytes ?? Number.POSITIVE_INFINITY,
    maxDrainBytes: options.maxDrainBytes ?? 64 * 1024,
    addDateHeader: options.addDateHeader ?? true,
  });
}
