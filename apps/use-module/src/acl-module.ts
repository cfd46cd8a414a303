/**
 * A custom HttpModule (Pingora's use_module example): the ACL checks the
 * Authorization header of every request before the proxy phases see it and
 * fails the request with 403 when it does not match. One instance per
 * request comes from the builder, which holds the shared credential.
 */
import type { HttpModule, HttpModuleBuilder } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import type { RequestHeader } from '@pingora-ts/http';

class AclModule implements HttpModule {
  readonly #expected: string;

  constructor(expected: string) {
    this.#expected = expected;
  }

  requestHeaderFilter(req: RequestHeader): void {
    const auth = req.getHeader('authorization');
    if (auth === undefined)
      throw PingoraError.httpStatus(403, 'auth failed: no Authorization header');
    if (auth !== this.#expected)
      throw PingoraError.httpStatus(403, 'auth failed: credential mismatch');
  }
}

export class AclBuilder implements HttpModuleBuilder {
  readonly #expected: string;

  constructor(credential: string) {
    this.#expected = `basic ${credential}`;
  }

  init(): HttpModule {
    return new AclModule(this.#expected);
  }
}
