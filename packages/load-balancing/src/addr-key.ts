/**
 * Canonical text and a sortable key for a backend's socket address. The key
 * orders backends the way Pingora's BTreeSet does (IPv4 before IPv6 before
 * Unix paths, by address bytes, then port), so positional algorithms such as
 * FNV pick the same backend for the same key as Pingora.
 */
import type { SocketAddr } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';

export interface AddrKey {
  /** `1.2.3.4:80`, `[2001:db8::1]:80` (compressed, lower case) or `unix:/path`. */
  readonly text: string;
  /** Fixed-width text whose plain string order is the address order. */
  readonly order: string;
  /** The address with its IPv6 text made canonical. */
  readonly addr: SocketAddr;
}

/** The canonical text and order key of `addr`. */
export function addrKey(addr: SocketAddr): AddrKey {
  if (addr.kind === 'unix') {
    return { text: `unix:${addr.path}`, order: `2${addr.path}`, addr };
  }
  const port = hex(addr.port, 4);
  if (addr.family === 4) {
    let bytes = '';
    for (const part of addr.address.split('.')) bytes += hex(Number(part), 2);
    return { text: `${addr.address}:${addr.port}`, order: `0${bytes}${port}`, addr };
  }
  const canonical = canonicalIpv6(addr.address);
  return {
    text: `[${canonical}]:${addr.port}`,
    order: `1${ipv6Hex(canonical)}${port}`,
    addr: { kind: 'inet', family: 6, address: canonical, port: addr.port },
  };
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

// WHATWG URL parsing gives RFC 5952 text: compressed, lower case, dotted IPv4
// tails rewritten as hex groups. Zone ids ("%eth0") are not supported by it.
function canonicalIpv6(address: string): string {
  try {
    const host = new URL(`http://[${address}]/`).hostname;
    return host.slice(1, -1);
  } catch (cause) {
    throw PingoraError.because(
      ErrorType.ConfigError,
      `unsupported IPv6 address "${address}" (zone ids are not supported)`,
      cause,
    );
  }
}

// 32 hex digits for a canonical IPv6 text, which holds only hex groups and at most one "::".
function ipv6Hex(canonical: string): string {
  const gap = canonical.indexOf('::');
  const head = gap < 0 ? canonical.split(':') : splitGroups(canonical.slice(0, gap));
  const tail = gap < 0 ? [] : splitGroups(canonical.slice(gap + 2));
  const missing = 8 - head.length - tail.length;
  let out = '';
  for (const g of head) out += g.padStart(4, '0');
  for (let i = 0; i < missing; i++) out += '0000';
  for (const g of tail) out += g.padStart(4, '0');
  return out;
}

function splitGroups(text: string): string[] {
  return text === '' ? [] : text.split(':');
}
