/**
 * The gRPC-web bridge module end to end: an HTTP/1.1 client posts a
 * gRPC-web (binary, then base64 text) request through the proxy to an h2
 * gRPC origin; the upstream request is gRPC (content type, te: trailers,
 * decoded body) and the response body ends with the byte-exact gRPC-web
 * trailer frame; non-gRPC-web traffic passes untouched.
 */
import { ALPN, GrpcWebBuilder, HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { startH2Origin } from '../../../tooling/test-h2-origin.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

function grpcFrame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function bridged(port: number): ProxyHttp<null> {
  return {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(`127.0.0.1:${port}`, { options: { alpn: ALPN.H2 } }),
    initDownstreamModules: (modules) => modules.addModule(new GrpcWebBuilder()),
  };
}

/** Splits a raw HTTP/1.1 chunked response into head and de-chunked body. */
function parseChunked(raw: Buffer): { head: string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end).toString('latin1');
  const parts: Buffer[] = [];
  let o = end + 4;
  for (;;) {
    const line = raw.indexOf('\r\n', o);
    const size = Number.parseInt(raw.subarray(o, line).toString('latin1'), 16);
    if (size === 0) break;
    parts.push(raw.subarray(line + 2, line + 2 + size));
    o = line + 2 + size + 2;
  }
  return { head, body: Buffer.concat(parts) };
}

async function startGrpcOrigin() {
  const seen: { contentType?: string; te?: string; body?: Buffer } = {};
  const origin = await startH2Origin((stream, headers) => {
    seen.contentType = String(headers['content-type']);
    seen.te = String(headers.te);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen.body = Buffer.concat(chunks);
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc+proto' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }),
      );
      stream.end(grpcFrame('pong'));
    });
  });
  return { origin, seen };
}

const TRAILER_TEXT = 'grpc-status:0\r\ngrpc-message:OK\r\n';
const TRAILER_FRAME = Buffer.concat([
  Buffer.from([0x80, 0, 0, 0, TRAILER_TEXT.length]),
  Buffer.from(TRAILER_TEXT, 'latin1'),
]);

describe('gRPC-web bridge', () => {
  it('binary: h1 client -> gRPC over h2, trailers as the byte-exact trailer frame', async () => {
    const { origin, seen } = await startGrpcOrigin();
    await using _o = origin;
    await using p = await startProxy(bridged(origin.port));
    const req = grpcFrame('ping');
    const raw = await rawExchange(
      p.port,
      Buffer.concat([
        Buffer.from(
          `POST /svc/Method HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\nContent-Length: ${req.length}\r\nConnection: close\r\n\r\n`,
        ),
        req,
      ]),
    );
    const { head, body } = parseChunked(raw);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toContain('content-type: application/grpc-web+proto');
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(body).toEqual(Buffer.concat([grpcFrame('pong'), TRAILER_FRAME]));
    expect(seen).toEqual({ contentType: 'application/grpc+proto', te: 'trailers', body: req });
  });

  it('text: base64 both ways, request split inside a quantum and padded per message', async () => {
    const { origin, seen } = await startGrpcOrigin();
    await using _o = origin;
    await using p = await startProxy(bridged(origin.port));
    // Two messages, each base64-encoded on its own (padding in the middle of the stream).
    const text = grpcFrame('a').toString('base64') + grpcFrame('bc').toString('base64');
    const raw = await rawExchange(
      p.port,
      `POST /svc/M HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web-text\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `5\r\n${text.slice(0, 5)}\r\n${(text.length - 5).toString(16)}\r\n${text.slice(5)}\r\n0\r\n\r\n`,
    );
    const { head, body } = parseChunked(raw);
    expect(head).toContain('content-type: application/grpc-web-text+proto');
    expect(seen.contentType).toBe('application/grpc');
    expect(seen.body).toEqual(Buffer.concat([grpcFrame('a'), grpcFrame('bc')]));
    expect(body.toString('latin1')).toBe(
      Buffer.concat([grpcFrame('pong'), TRAILER_FRAME]).toString('base64'),
    );
  });

  it('leaves other requests alone', async () => {
    await using origin = await startH2Origin();
    await using p = await startProxy(bridged(origin.port));
    const raw = (
      await rawExchange(p.port, 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1');
    expect(raw).toContain('GET /plain ');
    expect(raw).not.toContain('grpc-web');
  });
});
