/**
 * Upstream HTTP/2 through HttpConnector against node:http2 origins: h2c
 * prior knowledge for peers that require h2, bodies and trailers both ways,
 * one multiplexed connection for 100 concurrent requests (maxH2Streams 100),
 * idle reuse, the stream limit (min of ours and the peer's), and Pingora's
 * retry classes: REFUSED_STREAM, GOAWAY before the head, HTTP_1_1_REQUIRED.
 */
import { constants } from 'node:http2';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { HeaderList, RequestHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it } from 'vitest';
import { startH2Origin } from '../../../../tooling/test-h2-origin.ts';
import { ALPN, type HttpClientSession, HttpConnector, HttpPeer } from '../../src/index.ts';
import { startGoawayOrigin } from './utils/goaway-origin.ts';

const connectors: HttpConnector[] = [];
afterEach(() => {
  for (const c of connectors.splice(0)) c.close();
});

function connector(): HttpConnector {
  const c = new HttpConnector();
  connectors.push(c);
  return c;
}

function h2Peer(port: number, maxH2Streams = 100, alpn: ALPN = ALPN.H2): HttpPeer {
  return new HttpPeer(`127.0.0.1:${port}`, { options: { alpn, maxH2Streams } });
}

async function readAll(s: HttpClientSession): Promise<string> {
  let body = '';
  for (let c = await s.readBodyChunk(); c !== null; c = await s.readBodyChunk()) body += c;
  return body;
}

async function post(c: HttpConnector, peer: HttpPeer, path: string, body?: string) {
  const { session, reused } = await c.getHttpSession(peer);
  const req = RequestHeader.build(body === undefined ? 'GET' : 'POST', path).appendHeader(
    'Host',
    'origin.test',
  );
  if (body !== undefined) req.appendHeader('Transfer-Encoding', 'chunked');
  session.writeRequestHeader(req);
  if (body !== undefined) {
    session.writeBody(Buffer.from(body));
    const t = new HeaderList();
    t.appendHeader('x-req-trailer', 'yes');
    await session.finishRequestBody(t);
  }
  const resp = await session.readResponseHeader();
  const text = await readAll(session);
  c.releaseHttpSession(session, peer);
  return { session, resp, text, reused };
}

describe('HttpConnector over HTTP/2', () => {
  it('speaks h2c prior knowledge to a peer that requires h2, bodies and trailers both ways', async () => {
    let reqTrailer: string | undefined;
    let authority: string | undefined;
    await using origin = await startH2Origin((stream, headers) => {
      authority = String(headers[':authority']);
      stream.on('trailers', (t) => {
        reqTrailer = String(t['x-req-trailer']);
      });
      stream.resume();
      stream.on('end', () => {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end('pong');
      });
    });
    const c = connector();
    const r = await post(c, h2Peer(origin.port), '/p', 'ping');
    expect(r.session.protocol).toBe('HTTP/2');
    expect(r.resp.status).toBe(200);
    expect(r.text).toBe('pong');
    expect(reqTrailer).toBe('yes');
    expect(authority).toBe('origin.test');
    expect(r.resp.getHeader('transfer-encoding')).toBe('chunked');
  });

  it('runs 100 concurrent requests on one connection when maxH2Streams >= 100', async () => {
    await using origin = await startH2Origin();
    const c = connector();
    const peer = h2Peer(origin.port, 100);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post(c, peer, `/${i}`)),
    );
    results.forEach((r, i) => {
      expect(r.text).toBe(`GET /${i} `);
    });
    expect(origin.sessions).toBe(1);
    // The idle connection is reused afterwards.
    const again = await post(c, peer, '/again');
    expect(again.reused).toBe(true);
    expect(origin.sessions).toBe(1);
  });

  it('opens more connections when the peer allows fewer streams than maxH2Streams', async () => {
    await using origin = await startH2Origin(undefined, { maxConcurrentStreams: 5 });
    const c = connector();
    const peer = h2Peer(origin.port, 100);
    await post(c, peer, '/warm');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => post(c, peer, `/${i}`)));
    expect(results).toHaveLength(12);
    expect(origin.sessions).toBeGreaterThanOrEqual(3);
  });

  it('marks REFUSED_STREAM retryable', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    const err = await post(connector(), h2Peer(origin.port), '/').catch((e: unknown) => e);
    expect(PingoraError.is(err) && err.retryable(false)).toBe(true);
  });

  it('does not retry a refused stream once request body bytes were sent', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.once('data', () => stream.close(constants.NGHTTP2_REFUSED_STREAM));
    });
    const err = await post(connector(), h2Peer(origin.port), '/', 'body').catch((e: unknown) => e);
    expect(PingoraError.is(err)).toBe(true);
    expect(PingoraError.is(err) && err.retryable(true)).toBe(false);
  });

  it('retries a stream above the GOAWAY last stream id and never reuses that connection', async () => {
    await using scripted = await startGoawayOrigin();
    const c = connector();
    const err = await post(c, h2Peer(scripted.port), '/').catch((e: unknown) => e);
    expect(PingoraError.is(err) && err.retryable(false)).toBe(true);
    expect(c.h2.inUseCount + c.h2.idleCount).toBe(0);
  });

  it('does not hand out a connection that received GOAWAY', async () => {
    await using origin = await startH2Origin();
    const c = connector();
    const peer = h2Peer(origin.port);
    await post(c, peer, '/one');
    await new Promise((r) => setTimeout(r, 20));
    expect(c.h2.idleCount).toBe(1);
    origin.handler = (stream, _h, session) => {
      stream.respond({ ':status': 204 });
      stream.end();
      session.goaway(constants.NGHTTP2_NO_ERROR);
    };
    await post(c, peer, '/two');
    await new Promise((r) => setTimeout(r, 50));
    const third = await post(c, peer, '/three');
    expect(third.reused).toBe(false);
    expect(origin.sessions).toBe(2);
  });

  it('HTTP_1_1_REQUIRED is an H2Downgrade: retried and remembered for an h2h1 peer, not for an h2 one', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED);
    });
    const c = connector();
    const required = h2Peer(origin.port, 1, ALPN.H2);
    const e1 = await post(c, required, '/').catch((e: unknown) => e);
    expect(PingoraError.is(e1) && e1.type).toBe(ErrorType.H2Downgrade);
    expect(PingoraError.is(e1) && e1.retryable(false)).toBe(false);
    expect(c.h2.prefersH1(required)).toBe(false);
  });
});

describe('HTTP/2 upstream keepalive and timeouts', () => {
  it('a PING left unanswered closes the connection; an answered one keeps it', async () => {
    await using silent = await startGoawayOrigin();
    await using live = await startH2Origin();
    const c = new HttpConnector({ h2: { pingIntervalMs: 40, pingTimeoutMs: 80 } });
    connectors.push(c);
    const bind = { v4: [], v6: [] };
    const dead = await c.h2.connect(h2Peer(silent.port), bind, undefined);
    const alive = await c.h2.connect(h2Peer(live.port), bind, undefined);
    if (dead.kind !== 'h2' || alive.kind !== 'h2') throw new Error('expected h2 connections');
    await new Promise((r) => setTimeout(r, 400));
    expect(dead.conn.session.destroyed).toBe(true);
    expect(alive.conn.session.destroyed).toBe(false);
    expect(alive.conn.hasFreeSlot()).toBe(true);
  });

  it('a read timeout cancels the stream and retires its connection', async () => {
    await using origin = await startH2Origin(() => {
      // Never answers.
    });
    const c = connector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`, {
      options: { alpn: ALPN.H2, maxH2Streams: 10, readTimeout: 150 },
    });
    const err = await post(c, peer, '/').catch((e: unknown) => e);
    expect(PingoraError.is(err) && err.type).toBe(ErrorType.ReadTimedout);
    await post(c, peer, '/again').catch(() => undefined);
    // The second request needed a new connection.
    expect(origin.streamSessions.size).toBe(2);
  });
});
