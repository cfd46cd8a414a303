/**
 * The challenges pending right now: http-01 key authorizations by token and
 * tls-alpn-01 certificates by name. Bounded (an order adds one entry per
 * name and removes it when the order settles); lookups are one Map read.
 */
import type { TlsCertKey } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';

/** More pending challenges than this means orders are leaking: refuse new ones. */
export const MAX_PENDING_CHALLENGES = 1_000;

export class PendingChallenges {
  readonly #http = new Map<string, string>();
  readonly #alpn = new Map<string, TlsCertKey>();

  httpKeyAuthorization(token: string): string | undefined {
    return this.#http.get(token);
  }

  alpnCertificate(servername: string): TlsCertKey | undefined {
    return this.#alpn.get(servername.toLowerCase());
  }

  addHttp(token: string, keyAuthorization: string): void {
    this.#check();
    this.#http.set(token, keyAuthorization);
  }

  removeHttp(token: string): void {
    this.#http.delete(token);
  }

  addAlpn(name: string, cert: TlsCertKey): void {
    this.#check();
    this.#alpn.set(name.toLowerCase(), cert);
  }

  removeAlpn(name: string): void {
    this.#alpn.delete(name.toLowerCase());
  }

  get size(): number {
    return this.#http.size + this.#alpn.size;
  }

  #check(): void {
    if (this.size >= MAX_PENDING_CHALLENGES) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `ACME: more than ${MAX_PENDING_CHALLENGES} challenges pending`,
      );
    }
  }
}
