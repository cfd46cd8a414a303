/**
 * Smoke test of the gRPC-web sample with its demo gRPC service: a raw
 * HTTP/1.1 gRPC-web call comes back as the echoed message followed by the
 * gRPC-web trailer frame, and the base64 text flavour round-trips too.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { rawExchange } from '../../../tooling/test-http.ts';
import { setupGrpcWeb } from '../src/grpc-web-proxy.ts';

function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let o = raw.indexOf('\r\n\r\n') + 4;
  for (;;) {
    const line = raw.indexOf('\r\n', o);
    const size = Number.parseInt(raw.subarray(o, line).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(raw.subarray(line + 2, line + 2 + size));
    o = line + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

const TRAILER = Buffer.concat([Buffer.from([0x80, 0, 0, 0, 15]), Buffer.from('grpc-status:0\r\n')]);

it('bridges gRPC-web calls (binary and text) to the demo gRPC service', async () => {
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: 'version: 1\ngrpc_web:\n  listen: ["127.0.0.1:0"]\n',
  });
  const service = await setupGrpcWeb(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await service.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    const msg = frame('hello');
    const binary = await rawExchange(
      port,
      Buffer.concat([
        Buffer.from(
          `POST /demo.Echo/Say HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\nContent-Length: ${msg.length}\r\nConnection: close\r\n\r\n`,
        ),
        msg,
      ]),
    );
    expect(binary.toString('latin1')).toContain('content-type: application/grpc-web+proto');
    expect(dechunk(binary)).toEqual(Buffer.concat([msg, TRAILER]));
    const b64 = msg.toString('base64');
    const text = await rawExchange(
      port,
      `POST /demo.Echo/Say HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web-text\r\nContent-Length: ${b64.length}\r\nConnection: close\r\n\r\n${b64}`,
    );
    expect(dechunk(text).toString('latin1')).toBe(Buffer.concat([msg, TRAILER]).toString('base64'));
  } finally {
    await run.shutdown();
  }
});
