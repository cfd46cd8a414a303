/**
 * Hop-by-hop header handling (RFC 9110 7.6.1): a proxy must not forward the
 * fields that describe one connection: Connection and every field it names,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade
 * (kept, with `Connection: upgrade`, when an upgrade is being proxied).
 */
import { type HeaderList, trimOws } from '@pingora-ts/http';

/** Always hop-by-hop, whatever Connection says (Upgrade too, unless an upgrade is proxied). */
const FIXED = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
];
const FIXED_SET: ReadonlySet<string> = new Set([...FIXED, 'upgrade']);
const FIXED_SET_UPGRADE: ReadonlySet<string> = new Set(FIXED);

/** End-to-end fields a hostile `Connection` list must not make us drop. */
const PROTECTED = new Set(['host', 'content-length', 'content-type']);

/** The field names listed in every Connection line, lower-cased (`close`, `upgrade`, ...). */
export function connectionTokens(headers: HeaderList): string[] {
  const out: string[] = [];
  const lines = headers.getAll('connection');
  for (const line of lines) {
    for (const part of line.split(',')) {
      const token = trimOws(part).toLowerCase();
      if (token !== '' && out.length < 64) out.push(token);
    }
  }
  return out;
}

const NO_TOKENS: readonly string[] = [];

/** How many Connection field lines `headers` has (without allocating). */
function connectionLines(headers: HeaderList): number {
  let n = 0;
  for (let i = 0; i < headers.headerCount; i++) {
    const name = headers.nameAt(i)!;
    if (name.length === 10 && /^connection$/i.test(name)) n++;
  }
  return n;
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
  const fixed = upgrade ? FIXED_SET_UPGRADE : FIXED_SET;
  // Most heads carry none, or only `Connection: keep-alive`: one pass decides.
  if (!headers.hasAnyOf(fixed)) return;
  let names = fixed;
  const lines = connectionLines(headers);
  if (lines > 0) {
    const only = lines === 1 ? singleToken(headers.getHeader('connection')!) : undefined;
    // `keep-alive` names a field that goes anyway: nothing to add (the common case, no allocation).
    const tokens =
      only === 'keep-alive' ? NO_TOKENS : only !== undefined ? [only] : connectionTokens(headers);
    for (const token of tokens) {
      if (names.has(token) || PROTECTED.has(token) || (upgrade && token === 'upgrade')) continue;
      if (names === fixed) names = new Set(fixed);
      (names as Set<string>).add(token);
    }
  }
  headers.removeAllOf(names);
  if (upgrade && headers.hasHeader('upgrade')) headers.insertHeader('Connection', 'upgrade');
}
