/**
 * OpensslAcceptor: core's TlsAcceptor on node:tls. A tls.Server that never
 * listens is fed each admitted socket (`emit('connection')`), so node:tls's
 * own client-certificate checks, session callbacks and SNI plumbing apply;
 * around it: certificates from a CertStore (per-SNI cached contexts, the
 * async certificate callback), an absolute handshake deadline, the verify
 * and handshake-complete callbacks, a session-id cache, ticket keys shared
 * through TicketKeys, and reloads that keep the old certificates on error.
 */
import type { Socket } from 'node:net';
import { type SecureContext, type TLSSocket, Server as TlsServer } from 'node:tls';
import {
  ClientCertMode,
  ListenerAlpn,
  type SocketAddr,
  TicketKeys,
  type TlsClientCert,
  type TlsPem,
  type TlsSettings,
} from '@pingora-ts/core';
import {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_TLS_SESSION_CACHE_SIZE,
  DEFAULT_TLS_SESSION_TIMEOUT_SECONDS,
  DEFAULT_TLS_WATCH_DEBOUNCE_MS,
  LISTENER_ALPN_PROTOCOLS,
  type TlsAcceptCallbacks,
  type TlsAcceptor,
  type TlsAcceptorEnv,
  TlsFailureReason,
} from '@pingora-ts/core/tls';
import { peekAlpn } from './alpn-peek.ts';
import { CertStore } from './cert-store.ts';
import { baseContextOptions, contextOptions } from './context-options.ts';
import { failureReason, handshakeError } from './failure-reason.ts';
import { FileWatch } from './file-watch.ts';
import { checkedResult, isPromise } from './maybe-async.ts';
import { loadSettings, loadSettingsSync, settingsPaths } from './pem-files.ts';
import { SessionCache } from './session-cache.ts';
import { clientCertOf, tlsDigestOf } from './tls-digest.ts';

/** The ALPN protocol of ACME tls-alpn-01 validations (RFC 8737). */
const ACME_TLS_ALPN = 'acme-tls/1';

/** One socket in its handshake. */
interface Handshake {
  readonly socket: Socket;
  readonly peer: SocketAddr | undefined;
  readonly callbacks: TlsAcceptCallbacks;
  readonly started: number;
  timer: NodeJS.Timeout | undefined;
  tlsSocket: TLSSocket | undefined;
  /** Set when our own code fails the handshake, so node's error does not overwrite the reason. */
  reason: TlsFailureReason | undefined;
  done: boolean;
}

export class OpensslAcceptor implements TlsAcceptor {
  readonly #settings: TlsSettings;
  readonly #env: TlsAcceptorEnv;
  readonly #server: TlsServer;
  /** The twin without ALPN, for clients offering no protocol we speak (see the constructor). */
  readonly #noAlpn: TlsServer | undefined;
  /** Answers ACME tls-alpn-01 validations (`acme-tls/1`); only with the ACME callback. */
  readonly #acme: TlsServer | undefined;
  readonly #ticketKeys: TicketKeys;
  readonly #unsubscribe: () => void;
  readonly #timeoutMs: number;
  readonly #mode: ClientCertMode;
  readonly #sessions: SessionCache | undefined;
  readonly #pending = new WeakMap<Socket, Handshake>();
  #store: CertStore;
  #clientCa: TlsPem | undefined;
  #watch: FileWatch | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #closed = false;

  /** Loads every certificate now; throws a ConfigError naming the bad file or key. */
  constructor(settings: TlsSettings, env: TlsAcceptorEnv) {
    this.#settings = settings;
    this.#env = env;
    this.#timeoutMs = settings.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
    this.#mode = settings.clientCert ?? ClientCertMode.None;
    // Named after the listener: with server threads, every thread's listener shares one key.
    this.#ticketKeys =
      settings.ticketKeys ??
      new TicketKeys(undefined, { name: `listener/${env.service}/${env.endpoint}` });
    const loaded = loadSettingsSync(settings);
    this.#clientCa = loaded.clientCa;
    this.#store = new CertStore(
      baseContextOptions(settings, this.#clientCa, this.#ticketKeys.current()),
      loaded.defaultCert,
      loaded.sni,
    );
    const cacheSize =
      settings.sessionCacheSize ??
      (settings.sessionTickets === false ? DEFAULT_TLS_SESSION_CACHE_SIZE : 0);
    if (cacheSize > 0) {
      const ttl = (settings.sessionTimeoutSeconds ?? DEFAULT_TLS_SESSION_TIMEOUT_SECONDS) * 1000;
      this.#sessions = new SessionCache(cacheSize, ttl);
    }
    const alpn = settings.alpn;
    this.#server = this.#makeServer(alpn === undefined ? undefined : LISTENER_ALPN_PROTOCOLS[alpn]);
    // Pingora answers a client whose ALPN list has nothing in common with ours
    // without ALPN (NOACK); node:tls would send a fatal alert. Such clients are
    // handed to a twin server that offers no ALPN (h2-only keeps the alert, as Pingora).
    this.#noAlpn =
      alpn === undefined || alpn === ListenerAlpn.H2 ? undefined : this.#makeServer(undefined);
    this.#acme =
      settings.callbacks?.acmeChallengeCertificate === undefined
        ? undefined
        : this.#makeServer([ACME_TLS_ALPN], true);
    this.#unsubscribe = this.#ticketKeys.onRotate((key) => this.#rekey(key));
    if (settings.watchFiles !== false) this.#startWatch();
  }

  #makeServer(protocols: readonly string[] | undefined, acme = false): TlsServer {
    const acceptor = this;
    // An SNICallback stops every named handshake for a call into JS (OpenSSL's
    // certificate callback): only set where there is a choice to make.
    const sni = acme || this.#choosesCertificate();
    const server = new TlsServer({
      ...contextOptions(this.#store.base, this.#store.defaultCert?.loaded),
      requestCert: !acme && this.#mode !== ClientCertMode.None,
      rejectUnauthorized: !acme && this.#mode === ClientCertMode.Required,
      // Node's own timer is an idle timer; ours (absolute) fires first.
      handshakeTimeout: this.#timeoutMs + 1_000,
      ...(sni
        ? {
            SNICallback(
              this: unknown,
              servername: string,
              cb: (err: Error | null, ctx?: SecureContext) => void,
            ) {
              if (acme) acceptor.#acmeSni(servername, cb);
              else acceptor.#sni(this as TLSSocket, servername, cb);
            },
          }
        : {}),
      ...(protocols === undefined ? {} : { ALPNProtocols: [...protocols] }),
    });
    server.on('secureConnection', (tlsSocket: TLSSocket) => this.#secure(tlsSocket));
    server.on('tlsClientError', (err: Error, tlsSocket: TLSSocket) => {
      const hs = this.#handshakeOf(tlsSocket);
      if (hs === undefined) tlsSocket.destroy();
      // A client certificate node:tls refused (required mode) ends as a plain close: say why.
      else if (hs.reason === undefined && tlsSocket.authorizationError != null)
        this.#fail(hs, TlsFailureReason.ClientCert, tlsSocket.authorizationError);
      else this.#fail(hs, hs.reason ?? failureReason(err), err);
    });
    const cache = this.#sessions;
    if (cache !== undefined) {
      server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
        cache.set(id, data);
        cb();
      });
      server.on(
        'resumeSession',
        (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
          cb(null, cache.get(id) ?? null);
        },
      );
    }
    return server;
  }

  /**
   * True when a handshake's certificate depends on its server name: SNI
   * certificates (a reload keeps the same names) or a certificate callback.
   * Otherwise the default certificate serves every name without the callback.
   */
  #choosesCertificate(): boolean {
    return (
      this.#store.sni.length > 0 || this.#settings.callbacks?.certificateCallback !== undefined
    );
  }

  /** True when handshakes go through node:tls's SNICallback (for tests and diagnostics). */
  get usesSniCallback(): boolean {
    return this.#choosesCertificate();
  }

  /** The ticket keys this listener issues and accepts tickets under. */
  get ticketKeys(): TicketKeys {
    return this.#ticketKeys;
  }

  /** TLS 1.2 sessions cached for session-id resumption. */
  get cachedSessions(): number {
    return this.#sessions?.size ?? 0;
  }

  accept(socket: Socket, peer: SocketAddr | undefined, callbacks: TlsAcceptCallbacks): void {
    const hs: Handshake = {
      socket,
      peer,
      callbacks,
      started: performance.now(),
      timer: undefined,
      tlsSocket: undefined,
      reason: undefined,
      done: false,
    };
    hs.timer = setTimeout(
      () => this.#fail(hs, TlsFailureReason.Timeout, undefined),
      this.#timeoutMs,
    );
    hs.timer.unref();
    this.#pending.set(socket, hs);
    const twin = this.#noAlpn;
    const acme = this.#acme;
    if (twin === undefined && acme === undefined) {
      this.#server.emit('connection', socket);
      return;
    }
    const ours = LISTENER_ALPN_PROTOCOLS[this.#settings.alpn ?? ListenerAlpn.H1];
    peekAlpn(socket, (offered) => {
      if (hs.done) return;
      if (socket.destroyed) {
        this.#fail(hs, TlsFailureReason.ClientClosed, undefined);
        return;
      }
      if (acme !== undefined && offered?.includes(ACME_TLS_ALPN) === true) {
        acme.emit('connection', socket);
        return;
      }
      const overlap =
        twin === undefined ||
        offered === undefined ||
        offered.length === 0 ||
        offered.some((p) => ours.includes(p));
      (overlap ? this.#server : twin).emit('connection', socket);
    });
  }

  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#reload());
    this.#reloading = next.catch(() => {});
    return next;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.close();
    this.#unsubscribe();
    this.#sessions?.clear();
  }

  async #reload(): Promise<void> {
    const s = this.#settings;
    const { clientCa, defaultCert, sni } = await loadSettings(s);
    // Built whole before anything is swapped: a bad file leaves the old store serving.
    const store = new CertStore(
      baseContextOptions(s, clientCa, this.#ticketKeys.current()),
      defaultCert,
      sni,
    );
    this.#install(store, clientCa);
  }

  #rekey(key: Buffer): void {
    const old = this.#store;
    try {
      this.#install(
        new CertStore(
          baseContextOptions(this.#settings, this.#clientCa, key),
          old.defaultCert?.loaded,
          old.sni,
        ),
        this.#clientCa,
      );
    } catch (err) {
      this.#env.logger.error({ err }, 'TLS ticket key rotation failed; keeping the old key');
    }
  }

  #install(store: CertStore, clientCa: TlsPem | undefined): void {
    // setSecureContext resets whatever it is not given: hand it the full options.
    const options = contextOptions(store.base, store.defaultCert?.loaded);
    this.#server.setSecureContext(options);
    this.#noAlpn?.setSecureContext(options);
    this.#acme?.setSecureContext(options);
    this.#store = store;
    this.#clientCa = clientCa;
  }

  #startWatch(): void {
    const s = this.#settings;
    const paths = settingsPaths(s);
    if (paths.length === 0) return;
    this.#watch = new FileWatch(
      paths,
      s.watchDebounceMs ?? DEFAULT_TLS_WATCH_DEBOUNCE_MS,
      () => {
        this.reload().then(
          () => this.#env.logger.info('TLS certificate files changed; reloaded'),
          (err: unknown) =>
            this.#env.logger.error(
              { err },
              'TLS certificate files changed but do not load; keeping the old ones',
            ),
        );
      },
      (err) =>
        this.#env.logger.warn({ err }, 'cannot watch TLS certificate files; reload with SIGHUP'),
    );
  }

  #handshakeOf(tlsSocket: TLSSocket): Handshake | undefined {
    // node:tls keeps the wrapped socket as `_parent` (all versions since 0.x).
    const raw = (tlsSocket as unknown as { _parent?: Socket })._parent;
    const hs = raw === undefined ? undefined : this.#pending.get(raw);
    if (hs !== undefined) hs.tlsSocket = tlsSocket;
    return hs;
  }

  #sni(
    tlsSocket: TLSSocket,
    servername: string,
    cb: (err: Error | null, ctx?: SecureContext) => void,
  ): void {
    const store = this.#store;
    const entry = store.lookup(servername);
    const certificateCallback = this.#settings.callbacks?.certificateCallback;
    if (certificateCallback === undefined) {
      cb(null, entry?.context);
      return;
    }
    const hs = this.#handshakeOf(tlsSocket);
    const fail = (err: unknown) => {
      if (hs !== undefined) hs.reason = TlsFailureReason.Certificate;
      cb(err instanceof Error ? err : new Error(String(err)));
    };
    const choose = (chosen: unknown) => {
      if (hs?.done === true) return;
      try {
        const ctx =
          chosen === undefined ? entry?.context : store.contextForCallback(chosen as never);
        cb(null, ctx);
      } catch (err) {
        fail(err);
      }
    };
    try {
      const result = certificateCallback({ servername, peer: hs?.peer, configured: entry?.loaded });
      if (isPromise(result)) result.then(choose, fail);
      else choose(result);
    } catch (err) {
      fail(err);
    }
  }

  /** tls-alpn-01: the challenge certificate of `servername`, or a failed handshake. */
  #acmeSni(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void {
    try {
      const cert = this.#settings.callbacks?.acmeChallengeCertificate?.(servername);
      if (cert === undefined) cb(new Error(`no ACME challenge pending for ${servername}`));
      else cb(null, this.#store.contextForCallback(cert));
    } catch (err) {
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #secure(tlsSocket: TLSSocket): void {
    const hs = this.#handshakeOf(tlsSocket);
    if (hs === undefined || hs.done) {
      tlsSocket.destroy();
      return;
    }
    let clientCert: TlsClientCert | undefined;
    if (this.#mode !== ClientCertMode.None) {
      const cert = clientCertOf(tlsSocket);
      // Optional mode serves clients without a certificate, not ones with a bad one.
      if (cert !== undefined && !cert.authorized) {
        this.#fail(
          hs,
          TlsFailureReason.ClientCert,
          new Error(`client certificate: ${cert.authorizationError}`),
        );
        return;
      }
      clientCert = cert;
    }
    const verify = this.#settings.verifyClient;
    if (verify === undefined || clientCert === undefined) {
      this.#complete(hs, tlsSocket, clientCert);
      return;
    }
    checkedResult(
      () => verify(clientCert),
      (ok) => {
        if (ok === true) this.#complete(hs, tlsSocket, clientCert);
        else
          this.#fail(
            hs,
            TlsFailureReason.Rejected,
            new Error('the verify callback rejected the client certificate'),
          );
      },
      (err) => this.#fail(hs, TlsFailureReason.Rejected, err),
    );
  }

  #complete(hs: Handshake, tlsSocket: TLSSocket, clientCert: TlsClientCert | undefined): void {
    if (hs.done) return;
    const handshakeMs = performance.now() - hs.started;
    const onComplete = this.#settings.callbacks?.handshakeCompleteCallback;
    if (onComplete === undefined) {
      this.#succeed(hs, tlsSocket, tlsDigestOf(tlsSocket, clientCert, handshakeMs, undefined));
      return;
    }
    checkedResult(
      () => onComplete(tlsDigestOf(tlsSocket, clientCert, handshakeMs, undefined), tlsSocket),
      (extension) =>
        this.#succeed(hs, tlsSocket, tlsDigestOf(tlsSocket, clientCert, handshakeMs, extension)),
      (err) => this.#fail(hs, TlsFailureReason.Other, err),
    );
  }

  #succeed(hs: Handshake, tlsSocket: TLSSocket, digest: ReturnType<typeof tlsDigestOf>): void {
    if (hs.done) return;
    hs.done = true;
    clearTimeout(hs.timer);
    this.#pending.delete(hs.socket);
    if (tlsSocket.destroyed) {
      hs.callbacks.onFailed(
        handshakeError(TlsFailureReason.ClientClosed, this.#env.endpoint),
        TlsFailureReason.ClientClosed,
      );
      return;
    }
    hs.callbacks.onSecure(tlsSocket, digest);
  }

  #fail(hs: Handshake, reason: TlsFailureReason, cause: unknown): void {
    if (hs.done) return;
    hs.done = true;
    clearTimeout(hs.timer);
    this.#pending.delete(hs.socket);
    hs.tlsSocket?.destroy();
    hs.socket.destroy();
    hs.callbacks.onFailed(handshakeError(reason, this.#env.endpoint, cause), reason);
  }
}
