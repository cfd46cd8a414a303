/**
 * A 1 GiB chunked upload streams through a server session with flat memory:
 * the body is delivered chunk by chunk to a sink (nothing is buffered beyond
 * the read high-water mark), the client writes under backpressure, and the
 * memory the process retains stays flat, far below the body size.
 */
import { ResponseHeader } from '@pingora-ts/http';
import { afterEach, expect, it } from 'vitest';
import { memoryWatch } from '../../../../tooling/memory-watch.ts';
import { startServer, type TestServer } from './utils/h1-server.ts';
import { RawClient } from './utils/raw-client.ts';

const MiB = 1024 * 1024;
const TOTAL_MIB = 1024;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it('streams a 1 GiB chunked upload with bounded memory', { timeout: 120_000 }, async () => {
  let received = 0;
  let chunks = 0;
  server = await startServer(async (s) => {
    await new Promise<void>((resolve, reject) => {
      s.readBodyInto({
        onData(chunk) {
          received += chunk.length;
          chunks++;
          return true;
        },
        onEnd: () => resolve(),
        onError: reject,
      });
    });
    const resp = ResponseHeader.build(200);
    const body = Buffer.from(String(received));
    resp.insertHeader('Content-Length', body.length);
    s.writeResponseHeader(resp);
    s.writeBody(body);
  });
  await using c = await RawClient.connect(server.port);
  const piece = Buffer.alloc(MiB + 12, 0x5a);
  const sizeLine = `${MiB.toString(16)}\r\n`;
  piece.write(sizeLine, 0, 'latin1');
  piece.write('\r\n', sizeLine.length + MiB, 'latin1');
  const framed = piece.subarray(0, sizeLine.length + MiB + 2);

  // Retained memory (heap and buffers after full collections), sampled from
  // once 32 MiB went through (the JIT and socket buffers at working size):
  // what is checked is that it stops growing, whatever the body size.
  const WARMUP_MIB = 32;
  let watch: { stop(): number } | undefined;
  let growth = 0;
  try {
    c.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < TOTAL_MIB; i++) {
      if (i === WARMUP_MIB) watch = memoryWatch();
      if (!c.socket.write(framed)) await new Promise((r) => c.socket.once('drain', r));
    }
    c.write('0\r\n\r\n');
    await c.waitFor((t) => t.endsWith(String(TOTAL_MIB * MiB)), 100_000);
  } finally {
    growth = watch?.stop() ?? 0;
  }
  expect(received).toBe(TOTAL_MIB * MiB);
  expect(chunks).toBeGreaterThan(TOTAL_MIB);
  expect(growth).toBeLessThan(32 * MiB);
});
