/**
 * http-01: wraps an HTTP app (an HttpProxy) so that
 * `/.well-known/acme-challenge/<token>` is answered from the pending
 * challenges before the app (and any user filter) sees the request. Other
 * requests cost one string comparison.
 */
import type { HttpServerApp, HttpServerSession } from '@pingora-ts/core';
import { ResponseHeader } from '@pingora-ts/http';
import type { PendingChallenges } from './challenges.ts';

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export class AcmeHttpApp implements HttpServerApp {
  readonly inner: HttpServerApp;
  readonly #pending: PendingChallenges;

  constructor(inner: HttpServerApp, pending: PendingChallenges) {
    this.inner = inner;
    this.#pending = pending;
  }

  processNewHttp(session: HttpServerSession, shutdown: AbortSignal): Promise<void> | void {
    const path = session.requestHeader?.path;
    if (path === undefined || !path.startsWith(ACME_CHALLENGE_PREFIX)) {
      return this.inner.processNewHttp(session, shutdown);
    }
    return this.#answer(session, path.slice(ACME_CHALLENGE_PREFIX.length));
  }

  cleanup(): Promise<void> | void {
    return this.inner.cleanup?.();
  }

  async #answer(session: HttpServerSession, token: string): Promise<void> {
    await session.drainRequestBody();
    const keyAuthorization = this.#pending.httpKeyAuthorization(token);
    if (keyAuthorization === undefined) {
      await session.respondError(404);
      return;
    }
    const body = Buffer.from(keyAuthorization);
    const resp = ResponseHeader.build(200);
    resp.insertHeader('Content-Type', 'application/octet-stream');
    resp.insertHeader('Content-Length', String(body.length));
    resp.insertHeader('Cache-Control', 'no-store');
    session.writeResponse(resp, body);
  }
}
