/**
 * OpensslUpstreamTls: core's UpstreamTls on node:tls. Each handshake uses the
 * cached SecureContext of the peer's TLS settings, offers the last session
 * cached under the peer's reuse hash (resumption), sends SNI unless it is
 * empty, offers the connector's ALPN, verifies chain and names per the peer's
 * options, and reports the digest. Failures are Upstream PingoraErrors.
 */
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { formatSocketAddr, type TlsClientCert } from '@pingora-ts/core';
import {
  ALPN_PROTOCOLS,
  sniFor,
  type UpstreamTls,
  type UpstreamTlsRequest,
  type UpstreamTlsStream,
} from '@pingora-ts/core/connectors';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { BoundedLru } from './bounded-lru.ts';
import { SecureContextCache } from './context-cache.ts';
import { peerCertOf, upstreamDigest } from './digest.ts';
import { upstreamTlsChannels } from './events.ts';
import { KeylogFile } from './keylog-file.ts';
import { readCaFile, systemTrustAnchors, type TrustAnchors, TrustedRoots } from './trust-store.ts';
import { identityCheck } from './verify-name.ts';

export const DEFAULT_CONTEXT_CACHE_SIZE = 256;
export const DEFAULT_SESSION_CACHE_SIZE = 1024;

export interface UpstreamTlsOptions {
  /**
   * PEM bundle of the CAs to trust for peers without their own `ca` (the
   * server conf's ca_file). Read once, at construction.
   */
  readonly caFile?: string | undefined;
  /** Roots trusted without ca_file: 'system' (default, as Pingora) or Node's 'bundled'. */
  readonly roots?: TrustedRoots | undefined;
  /** Distinct peer TLS settings whose SecureContext is kept. Default 256. */
  readonly contextCacheSize?: number | undefined;
  /** Peers (by reuse hash) whose last TLS session is kept for resumption; 0 turns resumption off. Default 1024. */
  readonly sessionCacheSize?: number | undefined;
  /**
   * Append each connection's TLS secrets (NSS key log lines) to this file,
   * for Wireshark (Pingora's upstream_debug_ssl_keylog with SSLKEYLOGFILE).
   * A debugging aid: it lets anyone with the file read the traffic.
   */
  readonly keylogFile?: string | undefined;
}

/** A session kept for resumption, with the certificate verified when it was made. */
interface CachedSession {
  readonly session: Buffer;
  readonly peerCert: TlsClientCert | undefined;
}

/** Running totals of one OpensslUpstreamTls. */
export interface UpstreamTlsStats {
  handshakes: number;
  resumed: number;
  failures: number;
}

export class OpensslUpstreamTls implements UpstreamTls {
  readonly stats: UpstreamTlsStats = { handshakes: 0, resumed: 0, failures: 0 };
  readonly #contexts: SecureContextCache;
  readonly #sessions: BoundedLru<CachedSession>;
  readonly #keylog: KeylogFile | undefined;

  constructor(options: UpstreamTlsOptions = {}) {
    const contextSize = cacheSize(
      options.contextCacheSize,
      DEFAULT_CONTEXT_CACHE_SIZE,
      1,
      'contextCacheSize',
    );
    const sessionSize = cacheSize(
      options.sessionCacheSize,
      DEFAULT_SESSION_CACHE_SIZE,
      0,
      'sessionCacheSize',
    );
    const roots = options.roots ?? TrustedRoots.System;
    if (roots !== TrustedRoots.System && roots !== TrustedRoots.Bundled) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        `upstream TLS roots must be system or bundled, got ${String(roots)}`,
      );
    }
    let anchors: () => TrustAnchors;
    if (options.caFile !== undefined) {
      const bundle: TrustAnchors = [readCaFile(options.caFile)];
      anchors = () => bundle;
    } else {
      anchors = roots === TrustedRoots.System ? systemTrustAnchors : () => undefined;
    }
    this.#contexts = new SecureContextCache(contextSize, anchors);
    this.#sessions = new BoundedLru(sessionSize);
    this.#keylog =
      options.keylogFile === undefined ? undefined : new KeylogFile(options.keylogFile);
  }

  /** SecureContexts built so far: one per distinct peer TLS settings while they stay cached. */
  get contextsCreated(): number {
    return this.#contexts.created;
  }

  /** Sessions kept for resumption now. */
  get cachedSessions(): number {
    return this.#sessions.size;
  }

  /** Drops every cached context and session (e.g. after the trusted CAs changed on disk). */
  clear(): void {
    this.#contexts.clear();
    this.#sessions.clear();
  }

  handshake(request: UpstreamTlsRequest): Promise<UpstreamTlsStream> {
    const { socket, peer, alpn, timeoutMs, context } = request;
    const started = performance.now();
    const sni = sniFor(peer);
    const key = peer.reuseHash();
    const sessions = this.#sessions;
    const stats = this.stats;
    return new Promise((resolve, reject) => {
      let tlsSocket: TLSSocket;
      let offered: CachedSession | undefined;
      let peerCert: TlsClientCert | undefined;
      try {
        const options: ConnectionOptions = {
          socket,
          secureContext: this.#contexts.contextFor(peer),
          ALPNProtocols: ALPN_PROTOCOLS[alpn] as string[],
          rejectUnauthorized: peer.options.verifyCert,
          checkServerIdentity: identityCheck(peer),
        };
        if (sni !== undefined) options.servername = sni;
        offered = sessions.capacity === 0 ? undefined : sessions.get(key);
        if (offered !== undefined) options.session = offered.session;
        tlsSocket = tlsConnect(options);
      } catch (err) {
        socket.destroy();
        stats.failures++;
        reject(
          PingoraError.is(err)
            ? err
            : PingoraError.because(ErrorType.TLSHandshakeFailure, 'invalid TLS settings', err)
                .withSource(ErrorSource.Internal)
                .moreContext(context),
        );
        return;
      }
      // Each new session (TLS 1.3 sends tickets after the handshake) replaces the last one.
      if (sessions.capacity > 0) {
        // TLS 1.2 hands its ticket over before the handshake ends: read the certificate then.
        tlsSocket.on('session', (session: Buffer) => {
          peerCert ??= peerCertOf(tlsSocket) ?? offered?.peerCert;
          sessions.set(key, { session, peerCert });
        });
      }
      if (this.#keylog !== undefined) this.#keylog.attach(tlsSocket);
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        tlsSocket.removeListener('secureConnect', onSecure);
        tlsSocket.removeListener('error', onError);
        tlsSocket.removeListener('close', onClose);
      };
      const fail = (err: PingoraError): void => {
        cleanup();
        tlsSocket.destroy();
        socket.destroy();
        sessions.delete(key);
        stats.failures++;
        err.moreContext(context);
        if (upstreamTlsChannels.handshakeError.hasSubscribers) {
          upstreamTlsChannels.handshakeError.publish({ peer, error: err });
        }
        reject(err);
      };
      const onSecure = (): void => {
        cleanup();
        // A resumed session carries no certificate: report the one verified when it was made.
        const digest = upstreamDigest(
          tlsSocket,
          sni,
          performance.now() - started,
          offered?.peerCert,
        );
        peerCert = digest.peerCert;
        stats.handshakes++;
        if (digest.resumed) stats.resumed++;
        if (upstreamTlsChannels.handshake.hasSubscribers) {
          upstreamTlsChannels.handshake.publish({ peer, digest });
        }
        resolve({ socket: tlsSocket, digest });
      };
      const onError = (err: Error): void => {
        fail(toPingoraError(err, { phase: 'tls', source: ErrorSource.Upstream }));
      };
      const onClose = (): void => {
        fail(
          PingoraError.create(
            ErrorType.TLSHandshakeFailure,
            ErrorSource.Upstream,
            'connection closed during the TLS handshake',
          ),
        );
      };
      tlsSocket.once('secureConnect', onSecure);
      tlsSocket.once('error', onError);
      tlsSocket.once('close', onClose);
      timer = setTimeout(() => {
        fail(
          PingoraError.create(
            ErrorType.TLSHandshakeTimedout,
            ErrorSource.Upstream,
            `timeout ${timeoutMs}ms in the TLS handshake with ${formatSocketAddr(peer.address)}`,
          ),
        );
      }, timeoutMs);
    });
  }
}

function cacheSize(value: number | undefined, fallback: number, min: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < min || n > 1_000_000) {
    throw PingoraError.explain(
      ErrorType.ConfigError,
      `upstream TLS ${name} must be an integer from ${min} to 1000000, got ${String(value)}`,
    );
  }
  return n;
}
