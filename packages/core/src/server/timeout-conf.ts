/**
 * The timeouts a proxy operator tunes, as server YAML keys (seconds, like
 * Pingora's other duration keys), with today's values as defaults; and what
 * they become for the HTTP/1 server sessions, the upstream connector and
 * the proxy. A peer's own PeerOptions win over the upstream ones.
 */
import type { H1ServerOptions } from '../protocols/http/v1/server-options.ts';
import { configField } from './config-schema.ts';

/** The timeout settings of ServerConf; unset (undefined) means no limit. */
export interface TimeoutConf {
  /** Establishing an upstream connection (TCP, CONNECT proxy). Default: unset (the OS's limit). */
  readonly upstreamConnectTimeoutSeconds: number | undefined;
  /** Wait for upstream response bytes (the head, then each body read). Default 60. */
  readonly upstreamReadTimeoutSeconds: number;
  /** How long a request write to an upstream may stay blocked. Default 60. */
  readonly upstreamWriteTimeoutSeconds: number;
  /** How long an idle upstream connection stays in the pool; 0: no pooling. Default: unset (no limit). */
  readonly upstreamIdleTimeoutSeconds: number | undefined;
  /** Time to receive a whole request head (408 past it). Default 30. */
  readonly downstreamHeaderTimeoutSeconds: number;
  /** Idle wait for the next request on a kept-alive client connection. Default 60. */
  readonly downstreamKeepaliveTimeoutSeconds: number;
  /** Wait for the next request body bytes from the client (408 past it). Default 60. */
  readonly downstreamBodyReadTimeoutSeconds: number;
  /** How long a response write to the client may stay blocked. Default 60. */
  readonly downstreamWriteTimeoutSeconds: number;
  /** Idle limit of an upgraded (WebSocket) tunnel; 0: none. Default 600. */
  readonly upgradeIdleTimeoutSeconds: number;
  /** Whole-request deadline, from the request head to the response's end (504). Default: unset. */
  readonly requestTimeoutSeconds: number | undefined;
}

export const DEFAULT_TIMEOUT_CONF: TimeoutConf = Object.freeze({
  upstreamConnectTimeoutSeconds: undefined,
  upstreamReadTimeoutSeconds: 60,
  upstreamWriteTimeoutSeconds: 60,
  upstreamIdleTimeoutSeconds: undefined,
  downstreamHeaderTimeoutSeconds: 30,
  downstreamKeepaliveTimeoutSeconds: 60,
  downstreamBodyReadTimeoutSeconds: 60,
  downstreamWriteTimeoutSeconds: 60,
  upgradeIdleTimeoutSeconds: 600,
  requestTimeoutSeconds: undefined,
});

// A day: longer waits are surely a unit mistake (milliseconds given as seconds).
const MAX_SECONDS = 86_400;
// Shorter limits than 100 ms are surely a unit mistake (seconds given as ms/1000).
const MIN_SECONDS = 0.1;
const D = DEFAULT_TIMEOUT_CONF;

const MAX = MAX_SECONDS;
const MIN = MIN_SECONDS;

/** The YAML fields of TimeoutConf, spread into the server's schema. */
export const timeoutConfFields = {
  upstreamConnectTimeoutSeconds: configField.number({
    key: 'upstream_connect_timeout_seconds',
    min: 0.001,
    max: MAX,
  }),
  upstreamReadTimeoutSeconds: configField.number({
    key: 'upstream_read_timeout_seconds',
    default: D.upstreamReadTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  upstreamWriteTimeoutSeconds: configField.number({
    key: 'upstream_write_timeout_seconds',
    default: D.upstreamWriteTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  upstreamIdleTimeoutSeconds: configField.number({
    key: 'upstream_idle_timeout_seconds',
    min: 0,
    max: MAX,
  }),
  downstreamHeaderTimeoutSeconds: configField.number({
    key: 'downstream_header_timeout_seconds',
    default: D.downstreamHeaderTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  downstreamKeepaliveTimeoutSeconds: configField.number({
    key: 'downstream_keepalive_timeout_seconds',
    default: D.downstreamKeepaliveTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  downstreamBodyReadTimeoutSeconds: configField.number({
    key: 'downstream_body_read_timeout_seconds',
    default: D.downstreamBodyReadTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  downstreamWriteTimeoutSeconds: configField.number({
    key: 'downstream_write_timeout_seconds',
    default: D.downstreamWriteTimeoutSeconds,
    min: MIN,
    max: MAX,
  }),
  upgradeIdleTimeoutSeconds: configField.number({
    key: 'upgrade_idle_timeout_seconds',
    default: D.upgradeIdleTimeoutSeconds,
    min: 0,
    max: MAX,
  }),
  requestTimeoutSeconds: configField.number({ key: 'request_timeout_seconds', min: MIN, max: MAX }),
};

const ms = (seconds: number): number => Math.round(seconds * 1000);
const msOrUndefined = (seconds: number | undefined): number | undefined =>
  seconds === undefined ? undefined : ms(seconds);

/** The downstream timeouts as options of HTTP/1 server sessions. */
export function h1TimeoutsFromServerConf(conf: TimeoutConf): H1ServerOptions {
  return {
    headerTimeoutMs: ms(conf.downstreamHeaderTimeoutSeconds),
    keepaliveTimeoutMs: ms(conf.downstreamKeepaliveTimeoutSeconds),
    bodyTimeoutMs: ms(conf.downstreamBodyReadTimeoutSeconds),
    writeTimeoutMs: ms(conf.downstreamWriteTimeoutSeconds),
  };
}

/** Upstream timeouts in ms, used for a peer whose PeerOptions leave them unset. */
export interface UpstreamTimeouts {
  readonly connectTimeoutMs: number | undefined;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly idleTimeoutMs: number | undefined;
}

/** The upstream timeouts a connector applies to peers that set none. */
export function upstreamTimeoutsFromServerConf(conf: TimeoutConf): UpstreamTimeouts {
  return {
    connectTimeoutMs: msOrUndefined(conf.upstreamConnectTimeoutSeconds),
    readTimeoutMs: ms(conf.upstreamReadTimeoutSeconds),
    writeTimeoutMs: ms(conf.upstreamWriteTimeoutSeconds),
    idleTimeoutMs: msOrUndefined(conf.upstreamIdleTimeoutSeconds),
  };
}

/** The proxy-level timeouts in ms: the upgrade tunnel's idle limit (0: none) and the request deadline. */
export function proxyTimeoutsFromServerConf(conf: TimeoutConf): {
  tunnelIdleTimeoutMs: number;
  requestTimeoutMs: number | undefined;
} {
  return {
    tunnelIdleTimeoutMs: ms(conf.upgradeIdleTimeoutSeconds),
    requestTimeoutMs: msOrUndefined(conf.requestTimeoutSeconds),
  };
}
