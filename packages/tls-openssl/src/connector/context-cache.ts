/**
 * One SecureContext per distinct peer TLS settings (trusted CAs, client
 * certificate, curves), built on first use and kept in a bounded LRU:
 * tls.connect without a context builds one per connect (about half a
 * millisecond, tens of milliseconds with a full root store).
 */
import tls, { type SecureContext, type SecureContextOptions } from 'node:tls';
import type { Peer } from '@pingora-ts/core';
import { tlsContextKey } from '@pingora-ts/core/connectors';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { BoundedLru } from './bounded-lru.ts';
import { upstreamTlsChannels } from './events.ts';
import type { TrustAnchors } from './trust-store.ts';

export class SecureContextCache {
  /** Contexts built so far (cache misses). */
  created = 0;
  readonly #lru: BoundedLru<SecureContext>;
  readonly #anchors: () => TrustAnchors;

  /** `anchors` is read on the first context that needs the default roots. */
  constructor(capacity: number, anchors: () => TrustAnchors) {
    this.#lru = new BoundedLru(capacity);
    this.#anchors = anchors;
  }

  get size(): number {
    return this.#lru.size;
  }

  get evictions(): number {
    return this.#lru.evictions;
  }

  /**
   * The context for `peer`'s settings. Bad key or certificate material is a
   * configuration error found before any I/O: TLSHandshakeFailure from the
   * Internal side, naming the peer.
   */
  contextFor(peer: Peer): SecureContext {
    const key = tlsContextKey(peer);
    const cached = this.#lru.get(key);
    if (cached !== undefined) return cached;
    const started = performance.now();
    const o = peer.options;
    const options: SecureContextOptions = {};
    const ca = o.ca ?? this.#anchors();
    if (ca !== undefined) options.ca = ca as string | Buffer | (string | Buffer)[];
    if (peer.clientCert !== undefined) {
      options.cert = peer.clientCert.cert;
      options.key = peer.clientCert.key;
    }
    if (o.curves !== undefined) options.ecdhCurve = o.curves;
    let context: SecureContext;
    try {
      // Through the module object, so a test (or a profiler) can observe every context built.
      context = tls.createSecureContext(options);
    } catch (err) {
      throw PingoraError.because(ErrorType.TLSHandshakeFailure, 'invalid TLS settings', err)
        .withSource(ErrorSource.Internal)
        .moreContext(`connecting to ${peer.toString()}`);
    }
    this.created++;
    this.#lru.set(key, context);
    if (upstreamTlsChannels.context.hasSubscribers) {
      upstreamTlsChannels.context.publish({ key, ms: performance.now() - started });
    }
    return context;
  }

  clear(): void {
    this.#lru.clear();
  }
}
