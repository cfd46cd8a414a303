/**
 * FNV hashing (Pingora's FNVHash = Weighted<FnvHasher>): the first candidate
 * is the key's FNV-1a 64 hash modulo the total weight, looked up in the
 * weighted table; each fallback rehashes the previous hash's little-endian
 * bytes and takes it modulo the number of backends. Same key, same backend
 * set: same candidates, in this process or any other (and in Pingora).
 */
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection, SelectionKey } from './backend-selection.ts';
import { Fnv64, mod64 } from './fnv64.ts';
import { WeightedTable } from './weighted-table.ts';

export class FnvHash implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly table: WeightedTable;

  constructor(backends: readonly Backend[]) {
    this.backends = backends;
    this.table = new WeightedTable(backends);
  }

  static build(backends: readonly Backend[]): FnvHash {
    return new FnvHash(backends);
  }

  iter(key: SelectionKey): FnvHashIter {
    const it = new FnvHashIter(this);
    it.reset(key);
    return it;
  }
}

export class FnvHashIter implements BackendIter {
  readonly #selection: FnvHash;
  readonly #hash = new Fnv64();
  #first = true;

  constructor(selection: FnvHash) {
    this.#selection = selection;
  }

  reset(key: SelectionKey): void {
    this.#hash.reset().key(key);
    this.#first = true;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    const n = s.backends.length;
    if (n === 0) return undefined;
    const h = this.#hash;
    if (this.#first) {
      this.#first = false;
      return s.backends[s.table.pick(mod64(h.hi, h.lo, s.table.total))];
    }
    const hi = h.hi;
    const lo = h.lo;
    h.reset().u64le(hi, lo);
    return s.backends[mod64(h.hi, h.lo, n)];
  }
}
