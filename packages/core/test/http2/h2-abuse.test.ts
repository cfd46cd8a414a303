/**
 * node:http2 attack classes against our downstream limits: rapid reset
 * (HEADERS + RST_STREAM pairs: no stream reaches the app, GOAWAY ends it),
 * CONTINUATION flood (GOAWAY within a second), and too many concurrent
 * streams (refused past SETTINGS_MAX_CONCURRENT_STREAMS).
 */
import { ResponseHeader } from '@pingora-ts/http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FrameType,
  frame,
  GET_BLOCK,
  getHeaders,
  rawH2,
  rstCancel,
} from '../../../../tooling/test-h2-frames.ts';
import { HttpServer, type HttpServerOptions } from '../../src/apps/http-app.ts';
import { Server } from '../../src/server/server.ts';
import type { RunningServer } from '../../src/server/server-run.ts';
import { ListeningService } from '../../src/services/listening-service.ts';

const runs: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
});

async function listen(options: HttpServerOptions = {}) {
  let calls = 0;
  const app = {
    processNewHttp(s: import('../../src/protocols/http/server-session.ts').HttpServerSession) {
      calls++;
      s.writeResponse(ResponseHeader.build(200).appendHeader('content-length', '0'));
    },
  };
  const service = new ListeningService('h2', new HttpServer(app, { h2c: true, ...options }));
  service.addTcp('127.0.0.1:0');
  const server = new Server({ logger: pino({ level: 'silent' }), conf: {} });
  server.addService(service);
  runs.push(server.run());
  const [addr] = await service.listening;
  if (addr?.kind !== 'inet') throw new Error('no inet address');
  return { port: addr.port, calls: () => calls };
}

describe('HTTP/2 abuse', () => {
  it('20,000 HEADERS+RST_STREAM pairs reach no app and end in GOAWAY', async () => {
    const { port, calls } = await listen();
    const c = await rawH2(port);
    const parts: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = 1 + 2 * i;
      parts.push(getHeaders(id), rstCancel(id));
    }
    c.socket.write(Buffer.concat(parts));
    const code = await c.goaway;
    expect(code).toBeGreaterThanOrEqual(0); // a GOAWAY frame, not a bare close
    expect(code).not.toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls()).toBe(0);
    c.socket.destroy();
  });

  it('a CONTINUATION flood ends in GOAWAY within a second', async () => {
    const { port, calls } = await listen();
    const c = await rawH2(port);
    const began = Date.now();
    const filler = Buffer.alloc(1000, 0x40);
    const parts = [frame(FrameType.HEADERS, 0x1, 1, GET_BLOCK)];
    for (let i = 0; i < 10_000; i++) parts.push(frame(FrameType.CONTINUATION, 0, 1, filler));
    c.socket.write(Buffer.concat(parts));
    const code = await c.goaway;
    expect(Date.now() - began).toBeLessThan(1000);
    expect(code).not.toBe(-1);
    expect(calls()).toBe(0);
    c.socket.destroy();
  });

  it('still serves a well-behaved stream on the same kind of connection', async () => {
    const { port, calls } = await listen();
    const c = await rawH2(port);
    const seen = new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      c.socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        // A HEADERS frame on stream 1 (the response).
        for (let o = 0; o + 9 <= buf.length; ) {
          const len = buf.readUIntBE(o, 3);
          if (buf[o + 3] === FrameType.HEADERS && buf.readUInt32BE(o + 5) === 1) resolve(buf);
          o += 9 + len;
        }
      });
    });
    c.socket.write(getHeaders(1));
    await seen;
    expect(calls()).toBe(1);
    c.socket.destroy();
  });
});
