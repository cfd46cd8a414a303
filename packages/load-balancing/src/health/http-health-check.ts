/**
 * HTTP health check (Pingora's HttpHealthCheck): sends one request (method,
 * path, Host, extra headers) over a fresh TCP or TLS connection and passes
 * when the response status is the expected one and, optionally, the body
 * passes a check. Connect and read each have a timeout; the body is capped.
 */
import type { Socket } from 'node:net';
import { ErrorSource, ErrorType, PingoraError, toPingoraError } from '@pingora-ts/error';
import type { Backend } from '../backend.ts';
import { connectBackend, type TlsCheckOptions } from './connect.ts';
import type { HealthCheck, ThresholdOptions } from './health-check.ts';
import { BodyCollector, h1Error, parseResponseHead, type ResponseHead } from './http-response.ts';
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

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

export class HttpHealthCheck implements HealthCheck {
  readonly consecutiveSuccess: number;
  readonly consecutiveFailure: number;
  readonly timeoutMs: number;
  private readonly request: Buffer;
  private readonly isHead: boolean;
  private readonly expected: (status: number) => boolean;
  private readonly bodyCheck: ((body: Buffer) => boolean) | undefined;
  private readonly maxBodyBytes: number;
  private readonly connectTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly tls: TlsCheckOptions | undefined;
  private readonly port: number | undefined;

  constructor(options: HttpHealthCheckOptions) {
    this.consecutiveSuccess = threshold(options.consecutiveSuccess, 'consecutiveSuccess');
    this.consecutiveFailure = threshold(options.consecutiveFailure, 'consecutiveFailure');
    this.connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? 1000, 'connectTimeoutMs');
    this.readTimeoutMs = positiveInt(options.readTimeoutMs ?? 1000, 'readTimeoutMs');
    this.maxBodyBytes = positiveInt(
      options.maxBodyBytes ?? 64 * 1024,
      'maxBodyBytes',
      16 * 1024 * 1024,
    );
    this.timeoutMs = this.connectTimeoutMs + this.readTimeoutMs + 1000;
    this.port =
      options.portOverride === undefined
        ? undefined
        : positiveInt(options.portOverride, 'portOverride', 65535);
    const method = options.method ?? 'GET';
    this.isHead = method === 'HEAD';
    this.request = buildRequest(method, options.path ?? '/', options.host, options.headers ?? {});
    this.expected = expectation(options.expectedStatus ?? 200);
    this.bodyCheck = options.bodyCheck === undefined ? undefined : bodyPredicate(options.bodyCheck);
    this.tls =
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
      timeoutMs: this.connectTimeoutMs,
      tls: this.tls,
      port: this.port,
    });
    try {
      const { head, body } = await this.exchange(socket, backend);
      if (!this.expected(head.status)) {
        throw PingoraError.create(
          ErrorType.HTTPStatus,
          ErrorSource.Upstream,
          `health check of ${backend.addr}: unexpected status ${head.status}`,
        );
      }
      if (this.bodyCheck !== undefined && !this.bodyCheck(body ?? Buffer.alloc(0))) {
        throw PingoraError.create(
          ErrorType.H1Error,
          ErrorSource.Upstream,
          `health check of ${backend.addr}: response body did not pass the check`,
        );
      }
    } finally {
      socket.destroy();
    }
  }

  /** Writes the request and reads the head, and the body when a body check needs it. */
  private exchange(
    socket: Socket,
    backend: Backend,
  ): Promise<{ head: ResponseHead; body: Buffer | undefined }> {
    const wantBody = this.bodyCheck !== undefined;
    return new Promise((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      let head: ResponseHead | undefined;
      let body: BodyCollector | undefined;
      const timer = setTimeout(
        () =>
          finish(
            PingoraError.create(
              ErrorType.ReadTimedout,
              ErrorSource.Upstream,
              `health check of ${backend.addr}: no complete response within ${this.readTimeoutMs}ms`,
            ),
          ),
        this.readTimeoutMs,
      );
      const finish = (error?: PingoraError) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', onError);
        socket.off('close', onEnd);
        // The socket is destroyed right after; a late error must not go unheard.
        socket.on('error', ignore);
        if (error !== undefined) reject(error);
        else resolve({ head: head!, body: body?.body() });
      };
      const onData = (chunk: Buffer) => {
        try {
          if (head === undefined) {
            buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
            const parsed = parseResponseHead(buf, this.isHead);
            if (parsed === undefined) return;
            // Interim 1xx responses are skipped; the final one follows.
            if (parsed.status < 200 && parsed.status !== 101) {
              buf = buf.subarray(parsed.length);
              if (buf.length > 0) onData(Buffer.alloc(0));
              return;
            }
            head = parsed;
            // Without a body check, or with a failing status, the head is all we need.
            if (!wantBody || !this.expected(head.status)) return finish();
            body = new BodyCollector(head.framing, this.maxBodyBytes);
            const rest = buf.subarray(head.length);
            if (body.complete || body.push(rest)) finish();
            return;
          }
          if (body?.push(chunk)) finish();
        } catch (err) {
          finish(toPingoraError(err, { phase: 'read', source: ErrorSource.Upstream }));
        }
      };
      const onEnd = () => {
        if (head !== undefined && body?.end()) return finish();
        finish(
          h1Error(
            `health check of ${backend.addr}: connection closed before the response was complete`,
          ),
        );
      };
      const onError = (err: Error) =>
        finish(
          toPingoraError(err, {
            phase: 'read',
            source: ErrorSource.Upstream,
            context: `health check of ${backend.addr}`,
          }),
        );
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.once('error', onError);
      socket.write(this.request);
    });
  }
}

function buildRequest(
  method: string,
  path: string,
  host: string,
  headers: Readonly<Record<string, string>>,
): Buffer {
  if (!TOKEN.test(method)) throw invalid(`method ${JSON.stringify(method)}`);
  if (!/^(\/[\x21-\x7e]*|\*)$/.test(path))
    throw invalid(
      `path ${JSON.stringify(path)}: must start with "/" and hold no spaces or control bytes`,
    );
  if (host === '' || !/^[\x21-\x7e]+$/.test(host)) throw invalid(`host ${JSON.stringify(host)}`);
  let text = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || !SAFE_VALUE.test(value))
      throw invalid(`header ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    if (
      lower === 'host' ||
      lower === 'connection' ||
      lower === 'content-length' ||
      lower === 'transfer-encoding'
    ) {
      throw invalid(`header ${name}: set by the check itself`);
    }
    text += `${name}: ${value}\r\n`;
  }
  // A fresh connection per check (Pingora's default), so firewalls and L4 balancers are exercised too.
  text += 'Connection: close\r\n\r\n';
  return Buffer.from(text, 'latin1');
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

function ignore(): void {}

function invalid(what: string): PingoraError {
  return PingoraError.explain(ErrorType.ConfigError, `HTTP health check: invalid ${what}`);
}
