import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  decideRetry,
  ErrorSource,
  ErrorType,
  errorCode,
  errorTypeForCode,
  PingoraError,
  toPingoraError,
} from '../src/index.ts';

describe('PingoraError', () => {
  it('prints kind, source, context and cause on one line', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
    });
    const err = PingoraError.create(
      ErrorType.ConnectRefused,
      ErrorSource.Upstream,
      'peer 127.0.0.1:9',
      cause,
    );
    expect(err.toString()).toBe(
      'Upstream ConnectRefused context: peer 127.0.0.1:9 cause: connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(String(err)).toBe(err.message);
    expect(err.cause).toBe(cause);
  });

  it('omits an unset source and missing parts', () => {
    expect(PingoraError.explain(ErrorType.InternalError, 'oops').toString()).toBe(
      'InternalError context: oops',
    );
    expect(new PingoraError(ErrorType.ReadTimedout).toString()).toBe('ReadTimedout');
  });

  it('prints the whole cause chain, through foreign errors too', () => {
    const inner = PingoraError.create(ErrorType.ReadError, ErrorSource.Upstream, 'reading body');
    const middle = new Error('stream failed', { cause: inner });
    const outer = PingoraError.because(ErrorType.H1Error, 'proxying', middle).asDownstream();
    expect(outer.toString()).toBe(
      'Downstream H1Error context: proxying cause: stream failed cause: Upstream ReadError context: reading body',
    );
    expect(outer.rootCause()).toBe(inner);
  });

  it('carries an HTTP status', () => {
    const err = PingoraError.httpStatus(429, 'rate limited');
    expect(err.type).toBe(ErrorType.HTTPStatus);
    expect(err.status).toBe(429);
    expect(err.toString()).toBe('Internal HTTPStatus(429) context: rate limited');
  });

  it('prepends context with moreContext', () => {
    const err = PingoraError.explain(ErrorType.ConnectTimedout, 'peer a').moreContext(
      'while proxying',
    );
    expect(err.context).toBe('while proxying: peer a');
    expect(err.message).toContain('context: while proxying: peer a');
  });

  it('is recognised by brand, not only by instanceof', () => {
    const err = new PingoraError(ErrorType.UnknownError);
    expect(PingoraError.is(err)).toBe(true);
    expect(PingoraError.is(new Error('x'))).toBe(false);
    expect(PingoraError.is(null)).toBe(false);
    // A copy from another install carries the same global symbol brand.
    const foreign = { [Symbol.for('pingora-ts.error')]: true };
    expect(PingoraError.is(foreign)).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect(err.stack).toContain('PingoraError');
  });

  it('captures no stack for an observed event, and leaves the stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const err = PingoraError.observed(
      ErrorType.ConnectionClosed,
      ErrorSource.Downstream,
      'connection closed',
    );
    expect(Error.stackTraceLimit).toBe(limit);
    expect(err.message).toBe('Downstream ConnectionClosed context: connection closed');
    expect(err.stack ?? '').not.toMatch(/\n\s+at /);
    expect(new PingoraError(ErrorType.UnknownError).stack).toMatch(/\n\s+at /);
  });

  it('decides retries by reuse', () => {
    const err = new PingoraError(ErrorType.ConnectionClosed, { retry: 'reused-only' });
    expect(err.retryable(true)).toBe(true);
    expect(err.retryable(false)).toBe(false);
    expect(decideRetry(true, false)).toBe(true);
    expect(decideRetry(false, true)).toBe(false);
    expect(new PingoraError(ErrorType.ConnectRefused).retryable(true)).toBe(false);
  });
});

describe('toPingoraError', () => {
  const sys = (code: string) => Object.assign(new Error(`x ${code}`), { code });

  it('maps Node error codes by phase', () => {
    expect(errorTypeForCode('ECONNREFUSED', 'connect')).toBe(ErrorType.ConnectRefused);
    expect(errorTypeForCode('ETIMEDOUT', 'connect')).toBe(ErrorType.ConnectTimedout);
    expect(errorTypeForCode('ETIMEDOUT', 'read')).toBe(ErrorType.ReadTimedout);
    expect(errorTypeForCode('EHOSTUNREACH', 'connect')).toBe(ErrorType.ConnectNoRoute);
    expect(errorTypeForCode('ENETUNREACH', 'connect')).toBe(ErrorType.ConnectNoRoute);
    expect(errorTypeForCode('ENOTFOUND', 'connect')).toBe(ErrorType.ConnectNoRoute);
    expect(errorTypeForCode('ECONNRESET', 'read')).toBe(ErrorType.ConnectionClosed);
    expect(errorTypeForCode('EPIPE', 'write')).toBe(ErrorType.ConnectionClosed);
    expect(errorTypeForCode('EADDRINUSE', 'bind')).toBe(ErrorType.BindError);
    expect(errorTypeForCode('ENOENT', 'file')).toBe(ErrorType.FileOpenError);
    expect(errorTypeForCode('ENOENT', 'connect')).toBe(ErrorType.ConnectNoRoute);
    expect(errorTypeForCode('CERT_HAS_EXPIRED', 'tls')).toBe(ErrorType.InvalidCert);
    expect(errorTypeForCode('ERR_SSL_WRONG_VERSION_NUMBER', 'tls')).toBe(
      ErrorType.TLSHandshakeFailure,
    );
    expect(errorTypeForCode(undefined, 'read')).toBe(ErrorType.ReadError);
    expect(errorTypeForCode(undefined, 'other')).toBe(ErrorType.UnknownError);
  });

  it('wraps a foreign error as the cause', () => {
    const cause = sys('ECONNREFUSED');
    const err = toPingoraError(cause, {
      phase: 'connect',
      source: ErrorSource.Upstream,
      context: 'peer p',
    });
    expect(err.type).toBe(ErrorType.ConnectRefused);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.cause).toBe(cause);
    expect(err.toString()).toBe('Upstream ConnectRefused context: peer p cause: x ECONNREFUSED');
  });

  it('passes a PingoraError through, adding context and a missing source', () => {
    const original = PingoraError.explain(ErrorType.H1Error, 'bad chunk');
    const err = toPingoraError(original, { source: ErrorSource.Upstream, context: 'reading body' });
    expect(err).toBe(original);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.context).toBe('reading body: bad chunk');
  });

  it('wraps non-Error throws', () => {
    const err = toPingoraError('boom');
    expect(err.type).toBe(ErrorType.UnknownError);
    expect(err.toString()).toBe('UnknownError cause: boom');
  });

  it('maps a real refused connection', async () => {
    // Bind a port, then free it: connecting to it is refused at once.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const raw = await new Promise<unknown>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', resolve);
      socket.on('connect', () => reject(new Error('connected to a closed port')));
    });
    const err = toPingoraError(raw, {
      phase: 'connect',
      source: ErrorSource.Upstream,
      context: `peer 127.0.0.1:${port}`,
    });
    expect(err.type).toBe(ErrorType.ConnectRefused);
    expect(err.toString()).toMatch(
      /^Upstream ConnectRefused context: peer 127\.0\.0\.1:\d+ cause: connect ECONNREFUSED/,
    );
  });
});

describe('code', () => {
  it('is a Node-style ERR_PINGORA_* string per kind, distinct for every kind', () => {
    expect(PingoraError.explain(ErrorType.ConnectTimedout, 'x').code).toBe(
      'ERR_PINGORA_CONNECT_TIMEDOUT',
    );
    expect(new PingoraError(ErrorType.TLSHandshakeFailure).code).toBe(
      'ERR_PINGORA_TLS_HANDSHAKE_FAILURE',
    );
    expect(PingoraError.httpStatus(404).code).toBe('ERR_PINGORA_HTTP_STATUS');
    expect(errorCode(ErrorType.InvalidHTTPHeader)).toBe('ERR_PINGORA_INVALID_HTTP_HEADER');
    expect(errorCode(ErrorType.H1Error)).toBe('ERR_PINGORA_H1_ERROR');
    const codes = Object.values(ErrorType).map((t) => errorCode(t));
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^ERR_PINGORA_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });
});
