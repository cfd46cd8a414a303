/**
 * Static discovery (Pingora's discovery::Static): a fixed backend list that
 * code may change with set/add/remove; the next update picks the change up.
 */
import { Backend } from '../backend.ts';
import type { Discovered, ServiceDiscovery } from './service-discovery.ts';

/** A backend given as an address with weight 1, or as `{ addr, weight }`. */
export type BackendSpec = string | { addr: string; weight?: number } | Backend;

export function toBackend(spec: BackendSpec): Backend {
  if (Backend.is(spec)) return spec;
  if (typeof spec === 'string') return new Backend(spec);
  return new Backend(spec.addr, spec.weight === undefined ? {} : { weight: spec.weight });
}

export class StaticDiscovery implements ServiceDiscovery {
  #backends: readonly Backend[];

  constructor(backends: Iterable<BackendSpec> = []) {
    this.#backends = Array.from(backends, toBackend);
  }

  /** Replaces the whole list. */
  set(backends: Iterable<BackendSpec>): void {
    this.#backends = Array.from(backends, toBackend);
  }

  add(backend: BackendSpec): void {
    this.#backends = [...this.#backends, toBackend(backend)];
  }

  /** Removes every backend at the address of `backend`. */
  remove(backend: BackendSpec): void {
    const addr = toBackend(backend).addr;
    this.#backends = this.#backends.filter((b) => b.addr !== addr);
  }

  get(): readonly Backend[] {
    return this.#backends;
  }

  discover(): Promise<Discovered> {
    return Promise.resolve({ backends: this.#backends });
  }
}
