/**
 * AcmeManager: keeps one certificate per configured name issued and fresh.
 * On start it loads the account key (created once and stored) and the
 * stored certificates, orders missing ones, and renews each at a fraction
 * of its lifetime (two thirds by default), retrying failures with capped
 * exponential backoff on an injectable clock. A certificate stays in
 * service until its successor is stored and installed; the TLS listener
 * reads the current one per handshake through `tlsAccept()`.
 */
import { Agent } from 'node:https';
import type { HttpServerApp, TlsAccept, TlsCertKey } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import * as acme from 'acme-client';
import type { Logger } from 'pino';
import { type ChallengeType, orderCertificate } from './acme-order.ts';
import { type IssuedCertificate, issuedCertificate, renewAt } from './certificate-info.ts';
import { PendingChallenges } from './challenges.ts';
import { type AcmeClock, MAX_TIMER_MS, realClock } from './clock.ts';
import { type AcmeScheduledEvent, acmeChannels } from './events.ts';
import { AcmeHttpApp } from './http01.ts';
import { type AcmeStorage, checkName } from './storage.ts';

export interface AcmeManagerOptions {
  /** The ACME directory, e.g. `https://acme-v02.api.letsencrypt.org/directory`. */
  readonly directoryUrl: string;
  /** Contact address registered with the account. */
  readonly email?: string;
  /** Must be true: the CA's terms of service are agreed to on account creation. */
  readonly termsOfServiceAgreed: boolean;
  /** The DNS names to keep certificates for (one certificate each). */
  readonly names: readonly string[];
  /** Challenge types in order of preference (default http-01 then tls-alpn-01). */
  readonly challenges?: readonly ChallengeType[];
  readonly storage: AcmeStorage;
  /**
   * Extra CA certificates (PEM) trusted for the directory's HTTPS, e.g. a
   * test CA. acme-client has one HTTP client per process: this applies to it
   * process-wide.
   */
  readonly directoryCa?: string | Buffer;
  /**
   * Retries of one ACME request on a network error, a 5xx or a 429 (honouring
   * Retry-After; default 5), and the base delay between them (s, default 5,
   * growing linearly). acme-client's setting: process-wide.
   */
  readonly requestRetries?: number;
  readonly requestRetryDelaySeconds?: number;
  /** Renew when this fraction of the lifetime has passed (default 2/3). */
  readonly renewFraction?: number;
  /** First retry delay after a failed order (ms, default 60 s); doubles per failure. */
  readonly retryMinMs?: number;
  /** Longest retry delay (ms, default 1 h). */
  readonly retryMaxMs?: number;
  /** One order may take this long (ms, default 120 s). */
  readonly orderTimeoutMs?: number;
  /** An order lock older than this is a crashed holder's and is broken (ms, default 10 min). */
  readonly lockStaleMs?: number;
  readonly clock?: AcmeClock;
  readonly logger?: Logger;
}

interface NameState {
  readonly name: string;
  current: IssuedCertificate | undefined;
  failures: number;
  timer: unknown;
  running: Promise<void> | undefined;
}

export const DEFAULT_CHALLENGES: readonly ChallengeType[] = ['http-01', 'tls-alpn-01'];

export class AcmeManager {
  readonly pending = new PendingChallenges();
  readonly #o: AcmeManagerOptions;
  readonly #clock: AcmeClock;
  readonly #names = new Map<string, NameState>();
  #accountKey: string | undefined;
  #stopped = false;

  constructor(options: AcmeManagerOptions) {
    if (options.termsOfServiceAgreed !== true) {
      throw PingoraError.explain(
        ErrorType.ConfigError,
        "ACME: the CA's terms of service must be agreed to (termsOfServiceAgreed: true)",
      );
    }
    if (options.names.length === 0) {
      throw PingoraError.explain(ErrorType.ConfigError, 'ACME: no names to order');
    }
    const fraction = options.renewFraction ?? 2 / 3;
    if (!(fraction > 0 && fraction < 1)) {
      throw PingoraError.explain(ErrorType.ConfigError, 'ACME: renewFraction must be in (0, 1)');
    }
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    for (const raw of options.names) {
      const name = checkName(raw);
      this.#names.set(name, {
        name,
        current: undefined,
        failures: 0,
        timer: undefined,
        running: undefined,
      });
    }
    const settings = (acme.axios.defaults as { acmeSettings?: Record<string, number> })
      .acmeSettings;
    if (settings !== undefined) {
      if (options.requestRetries !== undefined) settings.retryMaxAttempts = options.requestRetries;
      if (options.requestRetryDelaySeconds !== undefined) {
        settings.retryDefaultDelay = options.requestRetryDelaySeconds;
      }
    }
    if (options.directoryCa !== undefined) {
      acme.axios.defaults.httpsAgent = new Agent({ ca: options.directoryCa, keepAlive: false });
    }
  }

  /** The certificate in service for `name`, if any. */
  certificate(name: string): TlsCertKey | undefined {
    return this.#names.get(name.toLowerCase())?.current?.certKey;
  }

  /** Serial and validity of the certificate in service for `name`. */
  info(name: string): IssuedCertificate | undefined {
    return this.#names.get(name.toLowerCase())?.current;
  }

  /** The TLS listener hooks: the managed certificate per SNI name, and tls-alpn-01 answers. */
  tlsAccept(): TlsAccept {
    return {
      certificateCallback: (hello) =>
        hello.servername === undefined ? undefined : this.certificate(hello.servername),
      acmeChallengeCertificate: (servername) => this.pending.alpnCertificate(servername),
    };
  }

  /** Wraps the plaintext listener's app so it answers http-01 before anything else. */
  httpApp(inner: HttpServerApp): HttpServerApp {
    return new AcmeHttpApp(inner, this.pending);
  }

  /**
   * Loads the account key and stored certificates and schedules every name
   * (missing ones at once). Resolves once the stored state is loaded; orders
   * run in the background (`ready()` waits for them).
   */
  async start(): Promise<void> {
    this.#accountKey = await this.#loadAccountKey();
    for (const state of this.#names.values()) {
      const stored = await this.#o.storage.loadCertificate(state.name);
      if (stored !== undefined) {
        try {
          this.#install(state, issuedCertificate(stored, state.name));
        } catch (err) {
          this.#o.logger?.warn({ err, name: state.name }, 'ACME: stored certificate unusable');
        }
      }
      if (state.current === undefined || !this.#fresh(state)) {
        acmeChannels.scheduled.publish({
          name: state.name,
          at: this.#clock.now(),
          reason: 'missing',
        } satisfies AcmeScheduledEvent);
        void this.#run(state);
      } else this.#schedule(state, 'renewal');
    }
  }

  /** Waits for the orders in flight (the first issuance after `start`, say). */
  async ready(): Promise<void> {
    for (const state of this.#names.values()) await state.running;
  }

  /** Orders a new certificate for `name` now (the timer is rescheduled after). */
  renewNow(name: string): Promise<void> {
    const state = this.#names.get(name.toLowerCase());
    if (state === undefined) {
      return Promise.reject(
        PingoraError.explain(ErrorType.ConfigError, `ACME: ${name} is not managed`),
      );
    }
    this.#clock.clear(state.timer);
    return this.#run(state);
  }

  stop(): void {
    this.#stopped = true;
    for (const state of this.#names.values()) this.#clock.clear(state.timer);
  }

  async #loadAccountKey(): Promise<string> {
    const stored = await this.#o.storage.loadAccountKey();
    if (stored !== undefined) return stored;
    const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    await this.#o.storage.saveAccountKey(key);
    return key;
  }

  /** Plans the next order; a rate-limited failure waits the longest retry delay. */
  #schedule(state: NameState, reason: AcmeScheduledEvent['reason'], rateLimited = false): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    let at = now;
    if (reason === 'renewal' && state.current !== undefined) {
      at = renewAt(state.current, this.#o.renewFraction ?? 2 / 3);
    } else if (reason === 'retry') {
      const min = this.#o.retryMinMs ?? 60_000;
      const max = this.#o.retryMaxMs ?? 3_600_000;
      at = rateLimited
        ? now + max
        : now + Math.min(max, min * 2 ** Math.min(30, Math.max(0, state.failures - 1)));
    }
    acmeChannels.scheduled.publish({ name: state.name, at, reason } satisfies AcmeScheduledEvent);
    this.#arm(state, at);
  }

  #arm(state: NameState, at: number): void {
    this.#clock.clear(state.timer);
    const delay = at - this.#clock.now();
    state.timer = this.#clock.set(() => {
      state.timer = undefined;
      // Farther than one timer can wait: wait again.
      if (delay > MAX_TIMER_MS) this.#arm(state, at);
      else void this.#run(state);
    }, delay);
  }

  #run(state: NameState): Promise<void> {
    state.running ??= this.#renew(state).finally(() => {
      state.running = undefined;
    });
    return state.running;
  }

  async #renew(state: NameState): Promise<void> {
    const { name } = state;
    const log = this.#o.logger;
    const release = await this.#o.storage.tryLock(name, this.#o.lockStaleMs ?? 600_000);
    if (release === undefined) {
      // Another process orders this name: pick up its result later.
      log?.info({ name }, 'ACME: another process holds the order lock; checking back later');
      await this.#adoptStored(state);
      if (!this.#fresh(state)) this.#schedule(state, 'retry');
      return;
    }
    const started = performance.now();
    try {
      // It may have been renewed by another process since the timer was set.
      await this.#adoptStored(state);
      if (this.#fresh(state)) return;
      const accountKey = this.#accountKey;
      if (accountKey === undefined) {
        throw PingoraError.explain(ErrorType.InternalError, 'ACME: not started');
      }
      // A client per order: its cached account URL would outlive a CA that forgot the
      // account; a new one looks the account up by its key (one request per order).
      const client = new acme.Client({
        directoryUrl: this.#o.directoryUrl,
        accountKey,
        backoffAttempts: 10,
        backoffMin: 100,
        backoffMax: 2_000,
      });
      log?.info({ name }, 'ACME: ordering a certificate');
      const stored = await orderCertificate({
        client,
        name,
        email: this.#o.email,
        termsOfServiceAgreed: this.#o.termsOfServiceAgreed,
        challenges: this.#o.challenges ?? DEFAULT_CHALLENGES,
        pending: this.pending,
        timeoutMs: this.#o.orderTimeoutMs ?? 120_000,
      });
      const issued = issuedCertificate(stored, name);
      await this.#o.storage.saveCertificate(name, stored);
      this.#install(state, issued);
      state.failures = 0;
      const durationMs = performance.now() - started;
      log?.info(
        { name, serial: issued.serial, notAfter: new Date(issued.notAfter), durationMs },
        'ACME: certificate issued',
      );
      acmeChannels.order.publish({
        name,
        ok: true,
        durationMs,
        failures: 0,
        serial: issued.serial,
        notAfter: new Date(issued.notAfter),
      });
    } catch (err) {
      state.failures++;
      const durationMs = performance.now() - started;
      const error = err instanceof Error ? err.message : String(err);
      log?.error(
        { name, err: error, failures: state.failures, inService: state.current?.serial },
        'ACME: order failed; the current certificate stays in service',
      );
      acmeChannels.order.publish({ name, ok: false, durationMs, failures: state.failures, error });
      this.#schedule(state, 'retry', /rateLimited|too many/i.test(error));
      return;
    } finally {
      await release();
    }
    this.#schedule(state, 'renewal');
  }

  /** Installs the stored certificate when it is newer than the one in service. */
  async #adoptStored(state: NameState): Promise<void> {
    const stored = await this.#o.storage.loadCertificate(state.name).catch(() => undefined);
    if (stored === undefined) return;
    try {
      const issued = issuedCertificate(stored, state.name);
      if (state.current === undefined || issued.notAfter > state.current.notAfter) {
        this.#install(state, issued);
      }
    } catch {
      // An unusable stored file is replaced by the next order.
    }
  }

  #fresh(state: NameState): boolean {
    const c = state.current;
    return c !== undefined && renewAt(c, this.#o.renewFraction ?? 2 / 3) > this.#clock.now();
  }

  #install(state: NameState, issued: IssuedCertificate): void {
    state.current = issued;
  }
}
