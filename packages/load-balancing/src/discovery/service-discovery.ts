/**
 * The discovery interface (Pingora's ServiceDiscovery): produce the current
 * backends, and optionally which of them may serve. Backends calls it on
 * every update and diffs the result against what it has.
 */
import type { Backend } from '../backend.ts';

export interface Discovered {
  readonly backends: Iterable<Backend>;
  /**
   * Per address (as `Backend.addr`), whether the backend may serve. Addresses
   * not listed keep their current setting (enabled for new backends).
   */
  readonly enablement?: ReadonlyMap<string, boolean>;
}

export interface ServiceDiscovery {
  /** The current backends; rejects with a PingoraError if they cannot be known. */
  discover(): Promise<Discovered>;
  /**
   * How often this discovery wants to be asked again, in milliseconds (e.g.
   * a DNS refresh interval). LoadBalancer uses it when its own
   * updateFrequency is not set.
   */
  readonly refreshIntervalMs?: number;
}
