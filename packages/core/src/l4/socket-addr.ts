/**
 * Socket addresses of either family Pingora serves: an IP endpoint (v4 or v6)
 * or a Unix socket path. Parsed from and printed as `127.0.0.1:80`,
 * `[::1]:80` and `unix:/path/to.sock`.
 */
import { isIP } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export type SocketAddr =
  | {
      readonly kind: 'inet';
      readonly family: 4 | 6;
      readonly address: string;
      readonly port: number;
    }
  | { readonly kind: 'unix'; readonly path: string };

/** `127.0.0.1:80`, `[::1]:80` or `unix:/path`. */
export function formatSocketAddr(addr: SocketAddr): string {
  if (addr.kind === 'unix') return `unix:${addr.path}`;
  return addr.family === 6 ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
}

/**
 * Parses `host:port` (IPv4 or bracketed IPv6 literal) or `unix:/path`.
 * Host names are not resolved here: only IP literals are accepted.
 */
export function parseSocketAddr(text: string): SocketAddr {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '')
      throw PingoraError.explain(ErrorType.SocketError, `empty unix socket path in "${text}"`);
    return { kind: 'unix', path };
  }
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') throw badAddr(text);
    host = text.slice(1, end);
    portText = text.slice(end + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0 || text.indexOf(':') !== colon) throw badAddr(text);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const family = isIP(host);
  if (family !== 4 && family !== 6) throw badAddr(text);
  if (!/^\d{1,5}$/.test(portText)) throw badAddr(text);
  const port = Number(portText);
  if (port > 65535) throw badAddr(text);
  return { kind: 'inet', family, address: host, port };
}

/** The address of one end of a connected or listening net socket. */
export function socketAddrOf(
  address: string | undefined,
  port: number | undefined,
  family: string | undefined,
): SocketAddr | undefined {
  if (address === undefined || port === undefined) return undefined;
  return { kind: 'inet', family: family === 'IPv6' ? 6 : 4, address, port };
}

function badAddr(text: string): PingoraError {
  return PingoraError.explain(
    ErrorType.SocketError,
    `invalid socket address "${text}": expected "ip:port", "[ipv6]:port" or "unix:/path"`,
  );
}
