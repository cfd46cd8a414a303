/**
 * ConnectProxy: the settings to reach a peer through an HTTP CONNECT proxy
 * (Pingora's Proxy). `nextHop` is where the proxy listens (Pingora uses a
 * Unix socket; an IP endpoint works too); `host:port` is what the CONNECT
 * request asks for. Validated strictly so nothing ambiguous reaches the wire.
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { trimOws } from '@pingora-ts/http';
import { formatSocketAddr, parseSocketAddr, type SocketAddr } from '../l4/socket-addr.ts';

export interface ConnectProxyInit {
  /** The proxy's own address: `unix:/path`, `ip:port` or a SocketAddr. */
  readonly nextHop: string | SocketAddr;
  /** The host to ask the proxy for (a name or an IP literal, no port). */
  readonly host: string;
  readonly port: number;
  /** Extra headers for the CONNECT request (e.g. Proxy-Authorization). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface ConnectProxy {
  readonly nextHop: SocketAddr;
  readonly host: string;
  readonly port: number;
  /** Header name/value pairs in a stable (sorted by name) order. */
  readonly headers: readonly (readonly [string, string])[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, Latin-1 and inner spaces/tabs; never CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HOST = /^[A-Za-z0-9.\-_:%]+$/;

/** Validates and normalises CONNECT proxy settings. */
export function resolveConnectProxy(init: ConnectProxyInit): ConnectProxy {
  const nextHop = typeof init.nextHop === 'string' ? parseSocketAddr(init.nextHop) : init.nextHop;
  if (typeof init.host !== 'string' || init.host === '' || !HOST.test(init.host)) {
    throw bad(`proxy host ${JSON.stringify(init.host)} is not a host name or IP address`);
  }
  if (!Number.isInteger(init.port) || init.port < 1 || init.port > 65535) {
    throw bad(`proxy port ${String(init.port)} is not in 1..65535`);
  }
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (!TOKEN.test(name)) throw bad(`CONNECT header name ${JSON.stringify(name)} is invalid`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw bad(`CONNECT header ${name} has an invalid value`);
    }
    if (name.toLowerCase() === 'host') throw bad('CONNECT header Host is set by the connector');
    headers.push([name, trimOws(value)]);
  }
  headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { nextHop, host: init.host, port: init.port, headers };
}

/** `host:port`, with an IPv6 literal bracketed: the CONNECT target and Host value. */
export function connectAuthority(proxy: ConnectProxy): string {
  return proxy.host.includes(':') ? `[${proxy.host}]:${proxy.port}` : `${proxy.host}:${proxy.port}`;
}

export function formatConnectProxy(proxy: ConnectProxy): string {
  return `next_hop: ${formatSocketAddr(proxy.nextHop)}, host: ${proxy.host}, port: ${proxy.port}`;
}

function bad(context: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, context);
}
