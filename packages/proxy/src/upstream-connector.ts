/**
 * What HttpProxy needs from a connector: an HTTP session to a peer, new or
 * pooled (and which), and a way to give a clean one back for reuse. Core's
 * HTTP connector fits it; tests and embedders may pass their own.
 */
import type { HttpClientSession, HttpPeer } from '@pingora-ts/core';

export interface UpstreamSessionLease {
  readonly session: HttpClientSession;
  /** True when the connection came from the pool (a stale one may fail first). */
  readonly reused: boolean;
}

export interface UpstreamConnector {
  /** A session to `peer`; rejects with a connect PingoraError (refused, timeout, ...). */
  getHttpSession(peer: HttpPeer): Promise<UpstreamSessionLease>;
  /**
   * Optional synchronous fast path: an idle pooled session to `peer` (its
   * timeouts applied), or undefined when none is usable and getHttpSession
   * must make one. It spares the proxy a promise and a microtask hop per
   * request on a warm pool; a connector without it is only asked getHttpSession.
   */
  reusedHttpSession?(peer: HttpPeer): HttpClientSession | undefined;
  /** Returns a session whose exchange completed cleanly, for reuse under the peer's idle timeout. */
  releaseHttpSession(session: HttpClientSession, peer: HttpPeer): void;
}
