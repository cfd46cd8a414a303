/**
 * Hop-by-hop header handling (RFC 9110 7.6.1): a proxy must not forward the
 * fields that describe one connection: Connection and every field it names,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade
 * (kept, with `Connection: upgrade`, when an upgrade is being proxied).
 */
import type { HeaderList } from '@pingora-ts/http';

/** Always hop-by-hop, whatever Connection says. */
const FIXED = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
];

/** End-to-end fields a hostile `Connection` list must not make us drop. */
const PROTECTED = new Set(['host', 'content-length', 'content-type']);

/** The field names listed in every Connection line, lower-cased (`close`, `upgrade`, ...). */
export function connectionTokens(headers: HeaderList): string[] {
  const out: string[] = [];
  const lines = headers.getAll('connection');
  for (const line of lines) {
    for (const part of line.split(',')) {
      const token = part.trim().toLowerCase();
      if (token !== '' && out.length < 64) out.push(token);
    }
  }
  return out;
}

function removeToken(headers: HeaderList, token: string, upgrade: boolean): void {
  if (PROTECTED.has(token)) return;
  if (upgrade && token === 'upgrade') return;
  headers.removeHeader(token);
}

/** The token of a Connection value that is exactly `keep-alive` or `close` (any case), else undefined. */
function singleToken(value: string): string | undefined {
  if (value.length === 10) return /^keep-alive$/i.test(value) ? 'keep-alive' : undefined;
  if (value.length === 5) return /^close$/i.test(value) ? 'close' : undefined;
  return undefined;
}

/**
 * Removes the hop-by-hop fields from `headers` in place. With `upgrade`
 * (an upgrade request or its 101 answer being forwarded) the Upgrade field
 * survives and `Connection: upgrade` is set again for the next hop.
 */
export function removeHopByHopHeaders(headers: HeaderList, upgrade = false): void {
  if (headers.hasHeader('connection')) {
    const lines = headers.getAll('connection');
    // The usual single `keep-alive` or `close`: no split/trim/lower-case list.
    const only = lines.length === 1 ? singleToken(lines[0]!) : undefined;
    if (only !== undefined) removeToken(headers, only, upgrade);
    else for (const token of connectionTokens(headers)) removeToken(headers, token, upgrade);
  }
  for (const name of FIXED) {
    if (headers.hasHeader(name)) headers.removeHeader(name);
  }
  if (upgrade) {
    if (headers.hasHeader('upgrade')) headers.insertHeader('Connection', 'upgrade');
  } else if (headers.hasHeader('upgrade')) {
    headers.removeHeader('upgrade');
  }
}
