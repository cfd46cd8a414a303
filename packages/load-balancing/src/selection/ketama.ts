/**
 * Ketama consistent hashing (Pingora's Consistent = KetamaHashing) on
 * @pingora-ts/ketama's Continuum, which picks the same server as nginx's
 * `hash $key consistent`. Adding or removing one of n backends moves about
 * 1/n of the keys. Fallbacks walk the ring clockwise to the next distinct
 * servers. Unix-socket backends are left off the ring (as in Pingora).
 */

import { ErrorType, PingoraError } from '@pingora-ts/error';
import { Continuum } from '@pingora-ts/ketama';
import type { Backend } from '../backend.ts';
import type { BackendIter, BackendSelection, SelectionKey } from './backend-selection.ts';

export class Ketama implements BackendSelection {
  readonly backends: readonly Backend[];
  readonly ring: Continuum;
  /** onRing[i]: the position in `backends` of the ring's bucket i. */
  readonly onRing: Uint32Array;

  constructor(backends: readonly Backend[]) {
    this.backends = backends;
    const positions: number[] = [];
    const buckets: { node: string; weight: number }[] = [];
    backends.forEach((b, i) => {
      if (b.socketAddr.kind !== 'inet') return;
      positions.push(i);
      buckets.push({ node: b.addr, weight: b.weight });
    });
    this.onRing = Uint32Array.from(positions);
    try {
      this.ring = Continuum.build(buckets);
    } catch (cause) {
      throw PingoraError.because(ErrorType.ConfigError, 'cannot build the ketama ring', cause);
    }
  }

  static build(backends: readonly Backend[]): Ketama {
    return new Ketama(backends);
  }

  iter(key: SelectionKey): KetamaIter {
    const it = new KetamaIter(this);
    it.reset(key);
    return it;
  }
}

export class KetamaIter implements BackendIter {
  readonly #selection: Ketama;
  #key: SelectionKey = '';
  #first = true;
  // The ring walk is only started when the first candidate is turned down.
  #walk: Generator<number, void, undefined> | undefined;

  constructor(selection: Ketama) {
    this.#selection = selection;
  }

  reset(key: SelectionKey): void {
    this.#key = key;
    this.#first = true;
    this.#walk = undefined;
  }

  next(): Backend | undefined {
    const s = this.#selection;
    if (this.#first) {
      this.#first = false;
      const bucket = s.ring.nodeIndex(this.#key);
      return bucket === undefined ? undefined : s.backends[s.onRing[bucket]!];
    }
    if (this.#walk === undefined) {
      this.#walk = s.ring.nodeIndexIter(this.#key);
      this.#walk.next(); // the first candidate, already offered
    }
    const step = this.#walk.next();
    return step.done ? undefined : s.backends[s.onRing[step.value]!];
  }
}
