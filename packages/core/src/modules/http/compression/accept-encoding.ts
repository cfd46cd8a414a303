/**
 * Accept-Encoding (RFC 9110 12.5.3) parsing and the choice of a response
 * coding: the client's q-values decide, `*` covers codings it did not name,
 * `q=0` forbids, and ties go to the server's preference.
 */
import { trimOws } from '@pingora-ts/http';
import { ALGORITHM_PREFERENCE, type Algorithm, algorithmFromToken } from './algorithm.ts';

/** One coding the client named and its weight (0..1). */
export interface AcceptedCoding {
  readonly coding: string;
  readonly q: number;
}

const MAX_ENTRIES = 64;

/**
 * Parses an Accept-Encoding value into its codings and weights, lower-cased.
 * Malformed entries (bad q, empty token) are dropped rather than guessed at;
 * at most 64 entries are read so a hostile header costs bounded work.
 */
export function parseAcceptEncoding(value: string): AcceptedCoding[] {
  const out: AcceptedCoding[] = [];
  for (const part of value.split(',')) {
    if (out.length >= MAX_ENTRIES) break;
    const segments = part.split(';');
    const coding = trimOws(segments[0] ?? '').toLowerCase();
    if (coding === '' || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(coding)) continue;
    let q = 1;
    let valid = true;
    for (let i = 1; i < segments.length; i++) {
      const param = trimOws(segments[i] ?? '');
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      if (trimOws(param.slice(0, eq)).toLowerCase() !== 'q') continue;
      const raw = trimOws(param.slice(eq + 1));
      if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(raw)) {
        valid = false;
        break;
      }
      q = Number(raw);
    }
    if (valid) out.push({ coding, q });
  }
  return out;
}

/**
 * The best coding among `enabled` for a client's Accept-Encoding, or
 * undefined to send the response as it is (identity). A coding's weight is
 * its own entry if named, else the `*` entry, else 0 (not acceptable).
 */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  enabled: ReadonlySet<Algorithm>,
): Algorithm | undefined {
  if (acceptEncoding === undefined || enabled.size === 0) return undefined;
  const accepted = parseAcceptEncoding(acceptEncoding);
  if (accepted.length === 0) return undefined;
  let star: number | undefined;
  const named = new Map<Algorithm, number>();
  for (const entry of accepted) {
    if (entry.coding === '*') {
      star = entry.q;
      continue;
    }
    const algorithm = algorithmFromToken(entry.coding);
    // The first mention of a coding wins; repeating it cannot raise its weight.
    if (algorithm !== undefined && !named.has(algorithm)) named.set(algorithm, entry.q);
  }
  let best: Algorithm | undefined;
  let bestQ = 0;
  for (const algorithm of ALGORITHM_PREFERENCE) {
    if (!enabled.has(algorithm)) continue;
    const q = named.get(algorithm) ?? star ?? 0;
    if (q > bestQ) {
      best = algorithm;
      bestQ = q;
    }
  }
  return best;
}
