/**
 * The `selection` and `hash_key` settings: each selection name maps to a
 * load-balancing algorithm, and a hash key says which part of a request
 * the hash-based ones (fnv, ketama) hash. Both are parsed once at start; the
 * per-request key read is a switch over a small constant.
 */
import {
  type BackendSelectionBuilder,
  FnvHash,
  Ketama,
  LeastConnections,
  PowerOfTwoChoices,
  Random,
  RoundRobin,
  WeightedRoundRobin,
} from '@pingora-ts/load-balancing';
import type { Session } from '@pingora-ts/proxy';

/**
 * The algorithms by YAML name. round_robin is Pingora's (a backend of weight
 * w takes w turns in a row); weighted interleaves turns smoothly by weight.
 */
export const SELECTIONS = {
  round_robin: RoundRobin,
  weighted: WeightedRoundRobin,
  random: Random,
  fnv: FnvHash,
  ketama: Ketama,
  least_conn: LeastConnections,
  p2c: PowerOfTwoChoices,
} as const satisfies Record<string, BackendSelectionBuilder>;

export type SelectionName = keyof typeof SELECTIONS;

export function isSelectionName(name: string): name is SelectionName {
  return Object.hasOwn(SELECTIONS, name);
}

/** Whether the algorithm hashes a key per request. */
export function hashesKey(name: SelectionName): boolean {
  return name === 'fnv' || name === 'ketama';
}

/** Whether the algorithm reads in-flight counts, so each request must hold a guard. */
export function countsInFlight(name: SelectionName): boolean {
  return name === 'least_conn' || name === 'p2c';
}

export const HashSource = {
  /** Nothing is hashed: the algorithm ignores the key. */
  None: 0,
  ClientIp: 1,
  Header: 2,
  Path: 3,
} as const;
export type HashSource = (typeof HashSource)[keyof typeof HashSource];

export interface HashKey {
  readonly source: HashSource;
  /** The header name for HashSource.Header (lower case). */
  readonly header: string;
}

export const NO_HASH_KEY: HashKey = { source: HashSource.None, header: '' };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses `client_ip`, `path` or `header:<name>`; returns a message for anything else. */
export function parseHashKey(text: string): HashKey | string {
  if (text === 'client_ip') return { source: HashSource.ClientIp, header: '' };
  if (text === 'path') return { source: HashSource.Path, header: '' };
  if (text.startsWith('header:')) {
    const name = text.slice('header:'.length).trim();
    if (TOKEN.test(name)) return { source: HashSource.Header, header: name.toLowerCase() };
    return `"${name}" is not a header name`;
  }
  return 'expected client_ip, path or header:<name>';
}

/** The client's IP (no port), or '' on a Unix socket. */
function clientIp(session: Session): string {
  const peer = session.digest.peerAddr;
  return peer !== undefined && peer.kind === 'inet' ? peer.address : '';
}

/**
 * The selection key of a request. A request without the named header is
 * hashed by its client IP, so it still sticks to one upstream.
 */
export function requestKey(session: Session, key: HashKey): string {
  switch (key.source) {
    case HashSource.None:
      return '';
    case HashSource.ClientIp:
      return clientIp(session);
    case HashSource.Path:
      return session.reqHeader.path;
    default:
      return session.reqHeader.getHeader(key.header) ?? clientIp(session);
  }
}
