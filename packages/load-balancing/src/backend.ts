/**
 * Backend: one server to proxy or connect to (mirrors Pingora's Backend): its
 * socket address, a relative weight and opaque extension data. Two backends
 * are the same backend when address and weight match; `ext` is ignored.
 */
import { HttpPeer, type HttpPeerInit, parseSocketAddr, type SocketAddr } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { addrKey } from './addr-key.ts';
import type { HealthState } from './health/health-state.ts';

const BRAND = Symbol.for('pingora-ts.load-balancing.backend');

/** The largest weight a backend may have; it bounds the weighted tables. */
export const MAX_BACKEND_WEIGHT = 65_535;

export interface BackendOptions {
  /** Relative share of traffic, an integer from 1 to 65535. Default 1. */
  weight?: number;
  /** Opaque data for the user (e.g. TLS name, zone); ignored by this package. */
  ext?: Map<unknown, unknown>;
}

export class Backend {
  /** Canonical text: `1.2.3.4:80`, `[2001:db8::1]:80` or `unix:/path`. It identifies the backend's health. */
  readonly addr: string;
  readonly socketAddr: SocketAddr;
  readonly weight: number;
  /** Opaque extension data (Pingora's Extensions); not part of the backend's identity. */
  readonly ext: Map<unknown, unknown>;
  /** Sort key: address order (as Pingora's BTreeSet), then weight. */
  readonly order: string;
  /**
   * @internal The health of this object in the Backends set that holds it,
   * so the per-pick readiness test is a field load instead of a map lookup.
   * Stamped with its owner: a Backend shared by two sets falls back to the map.
   */
  healthOwner: object | undefined = undefined;
  /** @internal See healthOwner. */
  healthState: HealthState | undefined = undefined;

  #peer: HttpPeer | undefined = undefined;
  #peerInit: HttpPeerInit | undefined = undefined;

  /** A backend at `addr` (`ip:port`, `[ipv6]:port` or `unix:/path`; no host names). */
  constructor(addr: string | SocketAddr, options: BackendOptions = {}) {
    let parsed: SocketAddr;
    if (typeof addr === 'string') {
      try {
        parsed = parseSocketAddr(addr);
      } catch (cause) {
        throw PingoraError.because(
          ErrorType.ConfigError,
          `invalid backend address "${addr}"`,
          cause,
        );
      }
    } else {
      parsed = addr;
    }
    const key = addrKey(parsed);
    const weight = options.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_BACKEND_WEIGHT) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `invalid weight ${String(weight)} for backend ${key.text}: expected an integer from 1 to ${MAX_BACKEND_WEIGHT}`,
      );
    }
    this.addr = key.text;
    this.socketAddr = key.addr;
    this.weight = weight;
    this.ext = options.ext ?? new Map();
    this.order = `${key.order}/${weight.toString(16).padStart(4, '0')}`;
  }

  /**
   * This backend as an HttpPeer, built on the first call and cached: an
   * `upstreamPeer` phase can return `backend.httpPeer()` per request without
   * building a peer (and its pool key) each time. A call whose `init` differs
   * (field by field; hoist `options` objects to a constant) rebuilds the cache.
   * The peer is shared by every request: do not change its options per request.
   */
  httpPeer(init?: HttpPeerInit): HttpPeer {
    const cached = this.#peer;
    if (cached !== undefined && sameInit(this.#peerInit, init)) return cached;
    const peer = new HttpPeer(this.socketAddr, init);
    this.#peer = peer;
    this.#peerInit = init === undefined ? undefined : { ...init };
    return peer;
  }

  /** True for a Backend from any copy of this package. */
  static is(value: unknown): value is Backend {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true
    );
  }

  /** Same address and weight (extension data is ignored, as in Pingora). */
  equals(other: Backend): boolean {
    return this.order === other.order;
  }

  toString(): string {
    return this.weight === 1 ? this.addr : `${this.addr} (weight ${this.weight})`;
  }
}

Object.defineProperty(Backend.prototype, BRAND, { value: true });

/** Shallow equality of two peer inits (an absent init equals an empty one). */
function sameInit(a: HttpPeerInit | undefined, b: HttpPeerInit | undefined): boolean {
  if (a === b) return true;
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
}

/** Orders backends as Pingora's BTreeSet<Backend> does. */
export function compareBackends(a: Backend, b: Backend): number {
  return a.order < b.order ? -1 : a.order > b.order ? 1 : 0;
}
