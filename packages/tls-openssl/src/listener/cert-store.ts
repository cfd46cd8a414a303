/**
 * CertStore: the compiled certificates of one listener: the default context
 * and one cached SecureContext per SNI name, exact (`api.example.com`) or
 * wildcard (`*.example.com`, one label). A lookup is two Map reads; no
 * context is ever built during a handshake except once per certificate the
 * certificate callback returns (cached per object). Immutable: a reload
 * builds a new store and swaps it in whole.
 */
import type { SecureContext } from 'node:tls';
import type { TlsCertKey } from '@pingora-ts/core';
import { type BaseContextOptions, buildContext } from './context-options.ts';
import type { LoadedCert } from './pem-files.ts';

export interface CertEntry {
  readonly loaded: LoadedCert;
  readonly context: SecureContext;
}

export class CertStore {
  readonly base: BaseContextOptions;
  readonly defaultCert: CertEntry | undefined;
  /** The SNI certificates as given (to rebuild the store with other base options). */
  readonly sni: ReadonlyArray<readonly [string, LoadedCert]>;
  /** The context of nameless handshakes (the default certificate, or none). */
  readonly defaultContext: SecureContext;
  readonly #exact = new Map<string, CertEntry>();
  /** Keyed by the parent domain: `example.com` for `*.example.com`. */
  readonly #wildcard = new Map<string, CertEntry>();
  readonly #fromCallback = new WeakMap<TlsCertKey, SecureContext>();

  /** Builds every context now; throws the first ConfigError (nothing is half built). */
  constructor(
    base: BaseContextOptions,
    defaultCert: LoadedCert | undefined,
    sni: ReadonlyArray<readonly [string, LoadedCert]>,
  ) {
    this.base = base;
    this.sni = sni;
    this.defaultCert =
      defaultCert === undefined
        ? undefined
        : { loaded: defaultCert, context: buildContext(base, defaultCert) };
    this.defaultContext = this.defaultCert?.context ?? buildContext(base, undefined);
    for (const [name, loaded] of sni) {
      const entry = { loaded, context: buildContext(base, loaded) };
      const lower = name.toLowerCase();
      if (lower.startsWith('*.')) this.#wildcard.set(lower.slice(2), entry);
      else this.#exact.set(lower, entry);
    }
  }

  /** The entry for `servername`: exact name, else a one-label wildcard, else undefined. */
  lookup(servername: string): CertEntry | undefined {
    const name = servername.toLowerCase();
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
  }

  /** The context of a certificate the certificate callback chose, built once per object. */
  contextForCallback(cert: TlsCertKey): SecureContext {
    let context = this.#fromCallback.get(cert);
    if (context === undefined) {
      context = buildContext(this.base, {
        cert: cert.cert,
        key: cert.key,
        where: 'certificate callback',
      });
      this.#fromCallback.set(cert, context);
    }
    return context;
  }
}
