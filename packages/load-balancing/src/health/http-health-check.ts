/**
 * HTTP health check (Pingora's HttpHealthCheck): sends one request (method,
 * path, Host, extra headers) over a fresh TCP or TLS connection with core's
 * HTTP/1 client session, and passes when the response status is the expected
 * one and, optionally, the body passes a check. Connect and the exchange
 * each have a time limit; the body read for the check is capped.
 */
import { H1ClientSession } from '@pingora-ts/core/h1';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import type { Backend } from '../backend.ts';
import { connectBackend, type TlsCheckOptions } from './connect.ts';
import type { HealthCheck, ThresholdOptions } from './health-check.ts';
import { positiveInt, threshold } from './options.ts';

export type ExpectedStatus = number | readonly number[] | ((status: number) => boolean);
export type BodyCheck = string | RegExp | ((body: Buffer) => boolean);

export interface HttpHealthCheckOptions extends ThresholdOptions {
  /** The Host header (and, with TLS, the default SNI). */
  host: string;
  /** Default '/'. */
  path?: string;
  /** Default 'GET'. */
  method?: string;
  headers?: Readonly<Record<string, string>>;
  /** Default 200. */
  expectedStatus?: ExpectedStatus;
  /** Substring, pattern or predicate the body must satisfy; unset: the body is not read. */
  bodyCheck?: BodyCheck;
  /** Largest body read for bodyCheck. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Default 1000. */
  connectTimeoutMs?: number;
  /** From sending the request to the end of what must be read. Default 1000. */
  readTimeoutMs?: number;
  /** TLS: true uses `host` as SNI with default verification. */
  tls?: boolean | TlsCheckOptions;
  /** Check this port of the backend's address instead of its own. */
  portOverride?: number;
}

export class HttpHealthCheck implements HealthCheck {
  readonly consecutiveSuccess: number;
  readonly consecutiveFailure: number;
  readonly timeoutMs: number;
  readonly #request: RequestHeader;
  readonly #expected: (status: number) => boolean;
  readonly #bodyCheck: ((body: Buffer) => boolean) | undefined;
  readonly #maxBodyBytes: number;
  readonly #connectTimeoutMs: number;
  readonly #readTimeoutMs: number;
  readonly #tls: TlsCheckOptions | undefined;
  readonly #port: number | undefined;

  constructor(options: HttpHealthCheckOptions) {
    this.consecutiveSuccess = threshold(options.consecutiveSuccess, 'consecutiveSuccess');
    this.consecutiveFailure = threshold(options.consecutiveFailure, 'consecutiveFailure');
    this.#connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? 1000, 'connectTimeoutMs');
    this.#readTimeoutMs = positiveInt(options.readTimeoutMs ?? 1000, 'readTimeoutMs');
    this.#maxBodyBytes = positiveInt(
      options.maxBodyBytes ?? 64 * 1024,
      'maxBodyBytes',
      16 * 1024 * 1024,
    );
    this.timeoutMs = this.#connectTimeoutMs + this.#readTimeoutMs + 1000;
    this.#port =
      options.portOverride === undefined
        ? undefined
        : positiveInt(options.portOverride, 'portOverride', 65535);
    this.#request = buildRequest(
      options.method ?? 'GET',
      options.path ?? '/',
      options.host,
      options.headers ?? {},
    );
    this.#expected = expectation(options.expectedStatus ?? 200);
    this.#bodyCheck =
      options.bodyCheck === undefined ? undefined : bodyPredicate(options.bodyCheck);
    this.#tls =
      options.tls === true
        ? { servername: options.host.replace(/:\d+$/, '') }
        : options.tls === false || options.tls === undefined
          ? undefined
          : options.tls;
  }

  healthThreshold(success: boolean): number {
    return success ? this.consecutiveSuccess : this.consecutiveFailure;
  }

  async check(backend: Backend): Promise<void> {
    const socket = await connectBackend(backend, {
      timeoutMs: this.#connectTimeoutMs,
      tls: this.#tls,
      port: this.#port,
    });
    const session = new H1ClientSession(socket, {
      readTimeoutMs: this.#readTimeoutMs,
      writeTimeoutMs: this.#readTimeoutMs,
    });
    // The session bounds each read; this bounds the whole exchange (a body trickling in).
    const deadline = setTimeout(
      () =>
        session.destroy(
          PingoraError.create(
            ErrorType.ReadTimedout,
            ErrorSource.Upstream,
            `no complete response within ${this.#readTimeoutMs}ms`,
          ),
        ),
      this.#readTimeoutMs,
    );
    try {
      session.writeRequestHeader(this.#request.clone());
      await session.finishRequestBody();
      const response = await session.readResponseHeader();
      if (!this.#expected(response.status)) {
        throw PingoraError.create(
          ErrorType.HTTPStatus,
          ErrorSource.Upstream,
          `unexpected status ${response.status}`,
        );
      }
      if (this.#bodyCheck !== undefined && !this.#bodyCheck(await this.#readBody(session))) {
        throw PingoraError.create(
          ErrorType.H1Error,
          ErrorSource.Upstream,
          'response body did not pass the check',
        );
      }
    } catch (err) {
      throw toPingoraError(err, {
        phase: 'read',
        source: ErrorSource.Upstream,
        context: `health check of ${backend.addr}`,
      });
    } finally {
      clearTimeout(deadline);
      session.destroy();
      socket.destroy();
    }
  }

  async #readBody(session: H1ClientSession): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = await session.readBodyChunk();
      if (chunk === null) return Buffer.concat(parts, size);
      size += chunk.length;
      if (size > this.#maxBodyBytes) {
        throw PingoraError.create(
          ErrorType.H1Error,
          ErrorSource.Upstream,
          `response body larger than ${this.#maxBodyBytes} bytes`,
        );
      }
      parts.push(chunk);
    }
  }
}

function buildRequest(
  method: string,
  path: string,
  host: string,
  headers: Readonly<Record<string, string>>,
): RequestHeader {
  if (!/^(\/[\x21-\x7e]*|\*)$/.test(path)) {
    throw invalid(
      `path ${JSON.stringify(path)}: must start with "/" and hold no spaces or control bytes`,
    );
  }
  if (host === '' || !/^[\x21-\x7e]+$/.test(host)) throw invalid(`host ${JSON.stringify(host)}`);
  try {
    const req = RequestHeader.build(method, path);
    req.appendHeader('Host', host);
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (['host', 'connection', 'content-length', 'transfer-encoding'].includes(lower)) {
        throw invalid(`header ${name}: set by the check itself`);
      }
      req.appendHeader(name, value);
    }
    // A fresh connection per check (Pingora's default), so firewalls and L4 balancers are exercised too.
    req.appendHeader('Connection', 'close');
    return req;
  } catch (cause) {
    if (PingoraError.is(cause) && cause.type === ErrorType.ConfigError) throw cause;
    throw PingoraError.because(ErrorType.ConfigError, 'HTTP health check: invalid request', cause);
  }
}

function expectation(expected: ExpectedStatus): (status: number) => boolean {
  if (typeof expected === 'function') return expected;
  const list = typeof expected === 'number' ? [expected] : [...expected];
  for (const s of list)
    if (!Number.isInteger(s) || s < 100 || s > 599) throw invalid(`expected status ${String(s)}`);
  return (status) => list.includes(status);
}

function bodyPredicate(check: BodyCheck): (body: Buffer) => boolean {
  if (typeof check === 'function') return check;
  if (typeof check === 'string') {
    const needle = Buffer.from(check);
    return (body) => body.includes(needle);
  }
  return (body) => {
    check.lastIndex = 0;
    return check.test(body.toString('utf8'));
  };
}

function invalid(what: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, `HTTP health check: invalid ${what}`);
}
