/**
 * An error thrown (or a promise rejected) by a user phase reaches the error
 * log and the logging phase as a PingoraError whose context names the phase,
 * and user classes with #private fields still work behind the wrapper.
 */
import { HttpPeer } from '@pingora-ts/core';
import type { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import type { Session } from '../src/session.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

type Ctx = { n: number };

class Failing implements ProxyHttp<Ctx> {
  readonly #peer: HttpPeer;
  readonly #failIn: string;
  #contexts = 0;
  logged: PingoraError | undefined;

  constructor(address: string, failIn: string) {
    this.#peer = new HttpPeer(address);
    this.#failIn = failIn;
  }
  newCtx(): Ctx {
    return { n: this.#contexts++ };
  }
  #maybeFail(phase: string): void {
    if (this.#failIn === phase) throw new Error(`boom in ${phase}`);
  }
  requestFilter(): boolean {
    this.#maybeFail('requestFilter');
    return false;
  }
  upstreamPeer(): HttpPeer {
    this.#maybeFail('upstreamPeer');
    return this.#peer;
  }
  async responseFilter(): Promise<void> {
    await Promise.resolve();
    this.#maybeFail('responseFilter');
  }
  logging(_s: Session, error: PingoraError | undefined): void {
    this.logged = error;
  }
}

describe('errors from user phases name the phase', () => {
  for (const phase of ['requestFilter', 'upstreamPeer', 'responseFilter']) {
    it(`a throw in ${phase}`, async () => {
      await using origin = await startOrigin();
      const inner = new Failing(origin.address, phase);
      await using proxy = await startProxy(inner);
      const res = await request(proxy.port, '/');
      expect(res.status).toBe(500);
      expect(inner.logged?.context).toContain(`phase ${phase}`);
      expect(inner.logged?.message).toMatch(
        new RegExp(`context: (.*: )?phase ${phase} cause: .*boom`),
      );
      expect(proxy.errors[0]?.err).toContain(`phase ${phase}`);
    });
  }

  it('keeps a PingoraError thrown on purpose, adding the phase to its context', async () => {
    await using origin = await startOrigin();
    const { PingoraError } = await import('@pingora-ts/error');
    let logged: PingoraError | undefined;
    const inner: ProxyHttp<null> = {
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      requestFilter: () => {
        throw PingoraError.httpStatus(403, 'no token');
      },
      logging: (_s, e) => {
        logged = e;
      },
    };
    await using proxy = await startProxy(inner);
    const res = await request(proxy.port, '/');
    expect(res.status).toBe(403);
    expect(logged?.status).toBe(403);
    expect(logged?.context).toBe('phase requestFilter: no token');
    expect(logged?.code).toBe('ERR_PINGORA_HTTP_STATUS');
  });
});
