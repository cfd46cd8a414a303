/**
 * Options of downstream HTTP/2 connections: the limits handed to node:http2
 * (set explicitly, never Node's unlimited defaults), the timeouts, and the
 * body limits shared with HTTP/1. Resolved once per service.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { DEFAULT_HEAD_LIMITS } from '../v1/head-parser.ts';

export interface H2ServerOptions {
  /** Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default 128. */
  readonly maxConcurrentStreams?: number;
  /** Largest header list a request may carry, in bytes (as HTTP/1's head limit). Default 64 KiB. */
  readonly maxHeaderListSize?: number;
  /** Most header fields a request may carry, pseudo-headers excluded (as HTTP/1). Default 128. */
  readonly maxHeaderListPairs?: number;
  /** Stream resets a client may cause in a burst before GOAWAY (rapid reset guard). Default 1000. */
  readonly streamResetBurst?: number;
  /** Stream resets per second a client may sustain after the burst. Default 33. */
  readonly streamResetRate?: number;
  /** Invalid frames tolerated per connection before it is closed. Default 100. */
  readonly maxInvalidFrames?: number;
  /** Streams refused per connection (over the limits) before it is closed. Default 100. */
  readonly maxRejectedStreams?: number;
  /** Memory one connection may use in nghttp2, in MiB; past it new streams are refused. Default 10. */
  readonly maxSessionMemoryMb?: number;
  /** Per-stream receive window in bytes (SETTINGS_INITIAL_WINDOW_SIZE). Default 256 KiB. */
  readonly initialWindowSize?: number;
  /** Receive window of the whole connection in bytes. Default 1 MiB. */
  readonly connectionWindowSize?: number;
  /** A connection with no frames for this long is closed with GOAWAY. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Time for an h2c client to send the connection preface (and h1 clients their first bytes). Default 30 s. */
  readonly headerTimeoutMs?: number;
  /** Longest time a response write may stay blocked on flow control. Default 60 s. */
  readonly writeTimeoutMs?: number;
  /** Largest request body accepted (the stream is answered 413 past it). Default unlimited. */
  readonly maxRequestBodyBytes?: number;
  /** Add a cached `Date` header to responses that have none. Default true. */
  readonly addDateHeader?: boolean;
}

export interface ResolvedH2ServerOptions {
  readonly maxConcurrentStreams: number;
  readonly maxHeaderListSize: number;
  readonly maxHeaderListPairs: number;
  readonly streamResetBurst: number;
  readonly streamResetRate: number;
  readonly maxInvalidFrames: number;
  readonly maxRejectedStreams: number;
  readonly maxSessionMemoryMb: number;
  readonly initialWindowSize: number;
  readonly connectionWindowSize: number;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  readonly addDateHeader: boolean;
}

const MAX_U31 = 2 ** 31 - 1;

function int(name: string, value: number | undefined, dflt: number, min: number, max: number) {
  const v = value ?? dflt;
  if (!(Number.isInteger(v) && v >= min && v <= max)) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `h2 option ${name} must be a whole number from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return v;
}

/** Fills the defaults under `options`; a value out of range is a ConfigError naming the option. */
export function resolveH2ServerOptions(options: H2ServerOptions = {}): ResolvedH2ServerOptions {
  const o = options;
  return Object.freeze({
    maxConcurrentStreams: int('maxConcurrentStreams', o.maxConcurrentStreams, 128, 1, MAX_U31),
    maxHeaderListSize: int(
      'maxHeaderListSize',
      o.maxHeaderListSize,
      DEFAULT_HEAD_LIMITS.maxHeadBytes,
      1024,
      MAX_U31,
    ),
    maxHeaderListPairs: int(
      'maxHeaderListPairs',
      o.maxHeaderListPairs,
      DEFAULT_HEAD_LIMITS.maxHeaders,
      4,
      65_535,
    ),
    streamResetBurst: int('streamResetBurst', o.streamResetBurst, 1000, 1, MAX_U31),
    streamResetRate: int('streamResetRate', o.streamResetRate, 33, 1, MAX_U31),
    maxInvalidFrames: int('maxInvalidFrames', o.maxInvalidFrames, 100, 0, MAX_U31),
    maxRejectedStreams: int('maxRejectedStreams', o.maxRejectedStreams, 100, 0, MAX_U31),
    maxSessionMemoryMb: int('maxSessionMemoryMb', o.maxSessionMemoryMb, 10, 1, 4096),
    initialWindowSize: int('initialWindowSize', o.initialWindowSize, 256 * 1024, 1, MAX_U31),
    connectionWindowSize: int(
      'connectionWindowSize',
      o.connectionWindowSize,
      1024 * 1024,
      65_535,
      MAX_U31,
    ),
    idleTimeoutMs: int('idleTimeoutMs', o.idleTimeoutMs, 60_000, 0, MAX_U31),
    headerTimeoutMs: int('headerTimeoutMs', o.headerTimeoutMs, 30_000, 1, MAX_U31),
    writeTimeoutMs: int('writeTimeoutMs', o.writeTimeoutMs, 60_000, 1, MAX_U31),
    maxRequestBodyBytes: o.maxRequestBodyBytes ?? Number.POSITIVE_INFINITY,
    addDateHeader: o.addDateHeader ?? true,
  });
}
