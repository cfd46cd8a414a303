import { ErrorType, PingoraError } from '@pingora-ts/error';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  connectRequestHead,
  MAX_CONNECT_RESPONSE_HEAD,
  parseConnectResponse,
  resolveConnectProxy,
} from '../../src/connectors.ts';

const kind = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return PingoraError.is(err) ? err.type : 'foreign';
  }
};

describe('parseConnectResponse', () => {
  it('parses a complete head and keeps the tunnel bytes after it', () => {
    const r = parseConnectResponse(
      Buffer.from('HTTP/1.1 200 Connection Established\r\nVia: 1.1 p\r\n\r\nHELLO'),
    );
    expect(r).toMatchObject({ status: 200, reason: 'Connection Established' });
    expect(r?.headers).toEqual([['Via', '1.1 p']]);
    expect(r?.rest.toString()).toBe('HELLO');
  });

  it('waits for more bytes while the head is incomplete', () => {
    expect(parseConnectResponse(Buffer.from('HTTP/1.1 200 OK\r\n'))).toBeUndefined();
  });

  it('rejects bare LF, folding, bad status lines and oversized heads', () => {
    for (const text of [
      'HTTP/1.1 200 OK\nVia: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nVia: x\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 099 Low\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n',
    ]) {
      expect(
        kind(() => parseConnectResponse(Buffer.from(text))),
        text,
      ).toBe(ErrorType.ConnectProxyFailure);
    }
    const big = Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_CONNECT_RESPONSE_HEAD)}`);
    expect(kind(() => parseConnectResponse(big))).toBe(ErrorType.ConnectProxyFailure);
  });

  it('gives the same answer however the bytes are split, and only PingoraErrors', () => {
    const head = fc.oneof(
      fc.constant('HTTP/1.1 200 OK\r\nA: b\r\n\r\ntail'),
      fc.constant('HTTP/1.0 407 Auth\r\n\r\n'),
      fc.string({ maxLength: 60 }).map((s) => `HTTP/1.1 200 ${s}\r\n\r\n`),
      fc.string({ maxLength: 80 }),
    );
    fc.assert(
      fc.property(head, fc.nat(), (text, cut) => {
        const whole = Buffer.from(text, 'latin1');
        const at = whole.length === 0 ? 0 : cut % whole.length;
        let first: unknown;
        try {
          first = parseConnectResponse(whole.subarray(0, at));
        } catch (err) {
          expect(PingoraError.is(err)).toBe(true);
          return;
        }
        let full: ReturnType<typeof parseConnectResponse>;
        try {
          full = parseConnectResponse(whole);
        } catch (err) {
          expect(PingoraError.is(err)).toBe(true);
          return;
        }
        // A prefix is either not yet complete, or already the same complete head.
        if (first !== undefined) expect(full?.status).toBe((first as { status: number }).status);
      }),
      { numRuns: 500 },
    );
  });
});

describe('connectRequestHead', () => {
  it('writes the authority, Host and headers, bracketing IPv6 literals', () => {
    const proxy = resolveConnectProxy({
      nextHop: 'unix:/p.sock',
      host: '2001:db8::1',
      port: 443,
      headers: { 'X-B': '2', 'X-A': ' 1 ' },
    });
    expect(connectRequestHead(proxy)).toBe(
      'CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\nX-A: 1\r\nX-B: 2\r\n\r\n',
    );
  });
});
