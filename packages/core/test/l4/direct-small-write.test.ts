/**
 * Small writes go straight to the socket's fd from one per-thread scratch
 * buffer (direct-write.ts): when the kernel stops taking them (a client that
 * does not read), the rest is copied and queued, and every byte still
 * arrives in order.
 */
import net from 'node:net';
import { ResponseHeader } from '@pingora-ts/http';
import { afterEach, expect, it } from 'vitest';
import { startServer, type TestServer } from '../http1/utils/h1-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const BODY = 16_000;
const REQUESTS = 600;

/** Body of response `i`: its index, then a pattern that depends on it. */
function bodyOf(i: number): Buffer {
  const b = Buffer.allocUnsafe(BODY);
  for (let k = 0; k < BODY; k++) b[k] = (i * 7 + k) % 251;
  b.writeUInt32BE(i, 0);
  return b;
}

it('a client that stops reading gets every small response complete and in order', async () => {
  let full = 0;
  let served = 0;
  server = await startServer(async (s) => {
    const i = Number(s.requestHeader!.target.slice(1));
    const resp = ResponseHeader.build(200);
    resp.insertHeader('Content-Length', BODY);
    s.writeResponseHeader(resp);
    if (!s.writeBody(bodyOf(i))) full++;
    served++;
  });
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.pause();
  let reqs = '';
  for (let i = 0; i < REQUESTS; i++) reqs += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
  socket.write(reqs);
  // Until the kernel's buffers are full and a write had to queue its rest (bounded wait).
  for (let t = 0; t < 1000 && full === 0 && served < REQUESTS; t++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(full).toBeGreaterThan(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const head = Buffer.from('HTTP/1.1 200 OK\r\n');
  const got = new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      if (total >= REQUESTS * (BODY + 40)) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.resume();
  // Read until every response is in: parse as bytes arrive.
  let pos = 0;
  let seen = 0;
  for (let t = 0; t < 2000 && seen < REQUESTS; t++) {
    await Promise.race([got, new Promise((r) => setTimeout(r, 10))]);
    const all = Buffer.concat(chunks);
    for (;;) {
      const end = all.indexOf('\r\n\r\n', pos);
      if (end < 0 || all.length < end + 4 + BODY) break;
      expect(all.subarray(pos, pos + head.length).equals(head)).toBe(true);
      const body = all.subarray(end + 4, end + 4 + BODY);
      expect(body.equals(bodyOf(seen))).toBe(true);
      seen++;
      pos = end + 4 + BODY;
    }
  }
  socket.destroy();
  expect(seen).toBe(REQUESTS);
});
