/**
 * PeerOptions: how to connect to an upstream (Pingora's PeerOptions): bind
 * address, connect/read/write/idle timeouts, TLS verification settings, ALPN,
 * CA and TCP keepalive. Durations are milliseconds; undefined means "no limit".
 * `resolvePeerOptions` fills defaults and rejects bad values with ConfigError.
 */
import { isIP } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { L4Connect } from '../l4/virtual-socket.ts';

/** Which HTTP versions to offer in TLS ALPN. */
export const ALPN = {
  H1: 'h1',
  H2: 'h2',
  H2H1: 'h2h1',
} as const;
export type ALPN = (typeof ALPN)[keyof typeof ALPN];

/**
 * TCP keepalive probes on the upstream socket. Node sets only the idle time
 * before the first probe; the probe interval and count stay the OS defaults.
 */
export interface TcpKeepalive {
  readonly idleMs: number;
}

/** A PEM string or buffer, or several. */
export type PemInput = string | Buffer | readonly (string | Buffer)[];

export interface PeerOptions {
  /** Local IP address to connect from (overrides the server's client_bind_to_*). */
  bindTo: string | undefined;
  /** Limit on establishing the TCP (or Unix) connection. */
  connectionTimeout: number | undefined;
  /** Limit on connect + CONNECT-proxy handshake + (later) TLS handshake. */
  totalConnectionTimeout: number | undefined;
  /** Limit on each read from the upstream (reset by every read). */
  readTimeout: number | undefined;
  /** Limit on each write to the upstream. */
  writeTimeout: number | undefined;
  /** How long an idle connection waits in the pool; 0 disables pooling for this peer. */
  idleTimeout: number | undefined;
  /**
   * Idle limit of an upgraded (WebSocket) tunnel to this peer; 0: none.
   * Unset: the proxy's (the server's upgrade_idle_timeout_seconds).
   */
  upgradeIdleTimeout: number | undefined;
  /** Check that the upstream's certificate chains to a trusted CA. Hashed for reuse. */
  verifyCert: boolean;
  /** Check that the certificate names the SNI (or `alternativeCn`). Hashed for reuse. */
  verifyHostname: boolean;
  /** Also accept a certificate for this name. Hashed for reuse. */
  alternativeCn: string | undefined;
  alpn: ALPN;
  /**
   * Most concurrent streams on one HTTP/2 connection to this peer (capped by
   * the peer's own SETTINGS_MAX_CONCURRENT_STREAMS). Default 1, as Pingora.
   */
  maxH2Streams: number;
  /**
   * Root CAs to verify the upstream with instead of the connector's trust
   * store (the server's ca_file, else the system store). Hashed for reuse.
   */
  ca: PemInput | undefined;
  /**
   * TLS key-exchange groups to offer, colon-separated (Pingora's curves,
   * e.g. `X25519:P-256`); undefined keeps the TLS library's defaults. Hashed for reuse.
   */
  curves: string | undefined;
  tcpKeepalive: TcpKeepalive | undefined;
  /**
   * TCP Fast Open on connect. Carried for configuration parity with Pingora;
   * Node has no client-side TFO API, so connecting does not use it.
   */
  tcpFastOpen: boolean;
  /** Reach the peer through this custom L4 transport instead of TCP (Pingora's custom_l4). Its name is hashed for reuse. */
  customL4: L4Connect | undefined;
}

export type PeerOptionsInit = { [K in keyof PeerOptions]?: PeerOptions[K] | undefined };

const DURATIONS = [
  'connectionTimeout',
  'totalConnectionTimeout',
  'readTimeout',
  'writeTimeout',
  'idleTimeout',
  'upgradeIdleTimeout',
] as const;
const ALPNS = new Set<string>(Object.values(ALPN));

/** Options with Pingora's defaults (verify cert and hostname, ALPN h1) under `init`. */
export function resolvePeerOptions(init: PeerOptionsInit = {}): PeerOptions {
  const options: PeerOptions = {
    bindTo: init.bindTo,
    connectionTimeout: init.connectionTimeout,
    totalConnectionTimeout: init.totalConnectionTimeout,
    readTimeout: init.readTimeout,
    writeTimeout: init.writeTimeout,
    idleTimeout: init.idleTimeout,
    upgradeIdleTimeout: init.upgradeIdleTimeout,
    verifyCert: init.verifyCert ?? true,
    verifyHostname: init.verifyHostname ?? true,
    alternativeCn: init.alternativeCn,
    alpn: init.alpn ?? ALPN.H1,
    maxH2Streams: init.maxH2Streams ?? 1,
    ca: init.ca,
    curves: init.curves,
    tcpKeepalive: init.tcpKeepalive,
    tcpFastOpen: init.tcpFastOpen ?? false,
    customL4: init.customL4,
  };
  for (const name of DURATIONS) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 2 ** 31 - 1)) {
      throw badOption(name, value, 'a number of milliseconds from 0 to 2147483647');
    }
  }
  if (options.bindTo !== undefined && isIP(options.bindTo) === 0) {
    throw badOption('bindTo', options.bindTo, 'an IPv4 or IPv6 address');
  }
  if (!(Number.isInteger(options.maxH2Streams) && options.maxH2Streams >= 1)) {
    throw badOption('maxH2Streams', options.maxH2Streams, 'a whole number >= 1');
  }
  if (!ALPNS.has(options.alpn)) throw badOption('alpn', options.alpn, 'h1, h2 or h2h1');
  if (typeof options.verifyCert !== 'boolean') {
    throw badOption('verifyCert', options.verifyCert, 'a boolean');
  }
  if (typeof options.verifyHostname !== 'boolean') {
    throw badOption('verifyHostname', options.verifyHostname, 'a boolean');
  }
  if (options.alternativeCn !== undefined && typeof options.alternativeCn !== 'string') {
    throw badOption('alternativeCn', options.alternativeCn, 'a string');
  }
  if (options.ca !== undefined && !isPemInput(options.ca)) {
    throw badOption('ca', '(not PEM)', 'a PEM string or Buffer, or a non-empty array of them');
  }
  if (options.curves !== undefined && !/^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$/.test(options.curves)) {
    throw badOption('curves', options.curves, 'group names separated by colons');
  }
  const ka = options.tcpKeepalive;
  if (ka !== undefined && !(Number.isSafeInteger(ka.idleMs) && ka.idleMs >= 0)) {
    throw badOption('tcpKeepalive.idleMs', ka.idleMs, 'a whole number of milliseconds >= 0');
  }
  return options;
}

function isPemInput(value: unknown): boolean {
  const one = (v: unknown): boolean =>
    (typeof v === 'string' || Buffer.isBuffer(v)) && v.length > 0;
  return Array.isArray(value) ? value.length > 0 && value.every(one) : one(value);
}

function badOption(name: string, value: unknown, expected: string): PingoraError {
  return PingoraError.explain(
    ErrorType.ConfigError,
    `peer option ${name} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}
