/**
 * The selection interface (Pingora's BackendSelection + BackendIter): a builder
 * turns a sorted backend list into an immutable selection, and a selection
 * yields, for a key, a cheap iterator of candidates, first choice first.
 * LoadBalancer rebuilds the selection when the backend set changes.
 */
import type { Backend } from '../backend.ts';
import type { InFlightTracker } from './in-flight.ts';

/** What hash-based algorithms hash: bytes, or a string hashed as its UTF-8 bytes. */
export type SelectionKey = string | Uint8Array;

/** Candidates for one key. `next()` returns undefined when there are no more. */
export interface BackendIter {
  next(): Backend | undefined;
  /**
   * Restarts this iterator for another key, so a hot path can reuse one
   * iterator object instead of allocating one per pick. Optional: without it,
   * LoadBalancer asks the selection for a new iterator on every pick.
   */
  reset?(key: SelectionKey): void;
}

export interface BackendSelection {
  /** The backends this selection was built from, in order. */
  readonly backends: readonly Backend[];
  /** A new iterator of candidates for `key`. */
  iter(key: SelectionKey): BackendIter;
}

/** Shared state a builder may use; it outlives each built selection. */
export interface SelectionContext {
  /** In-flight request counts per backend address (least-connections, power of two). */
  readonly inFlight: InFlightTracker;
}

/**
 * Builds a selection from backends sorted by `compareBackends` with distinct
 * addresses. May throw a PingoraError (ConfigError) for a set it cannot serve.
 */
export interface BackendSelectionBuilder<S extends BackendSelection = BackendSelection> {
  build(backends: readonly Backend[], context?: SelectionContext): S;
}
