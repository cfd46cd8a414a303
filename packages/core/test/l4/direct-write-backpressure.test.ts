/**
 * Writes that go straight to the socket's fd (direct-write.ts) when the
 * kernel stops taking them (a client that does not read): small responses
 * are assembled in the per-thread scratch buffer and their rest copied and
 * queued; large bodies that stay valid (a cache's stored body) go out in one
 * writev with their head and their rest is queued by reference. Either way
 * every byte arrives, in order.
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

/** Body of response `i`: its index, then a pattern that depends on it. */
function bodyOf(i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let k = 0; k < size; k++) b[k] = (i * 7 + k) % 251;
  b.writeUInt32BE(i, 0);
  return b;
}

/**
 * Sends `requests` pipelined GETs, stops reading until a response write had
 * to queue, then reads everything and checks each response in order.
 */
async function stalledClientGetsAll(bodySize: number, requests: number): Promise<void> {
  let full = 0;
  let served = 0;
  server = await startServer(async (s) => {
    const i = Number(s.requestHeader!.target.slice(1));
    const resp = ResponseHeader.build(200);
    resp.insertHeader('Content-Length', bodySize);
    s.writeResponseHeader(resp);
    if (!s.writeBody(bodyOf(i, bodySize))) full++;
    served++;
  });
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.pause();
  let reqs = '';
  for (let i = 0; i < requests; i++) reqs += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
  socket.write(reqs);
  // Until the kernel's buffers are full and a write had to queue its rest (bounded wait).
  for (let t = 0; t < 1000 && full === 0 && served < requests; t++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(full).toBeGreaterThan(0);
  const chunks: Buffer[] = [];
  const head = Buffer.from('HTTP/1.1 200 OK\r\n');
  // Every response in (the bytes stop coming for 500 ms), or 30 s at most.
  const got = new Promise<void>((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const cap = setTimeout(resolve, 30_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        clearTimeout(cap);
        resolve();
      }, 500);
    });
    socket.on('close', () => resolve());
  });
  socket.resume();
  await got;
  const all = Buffer.concat(chunks);
  let pos = 0;
  let seen = 0;
  for (;;) {
    const end = all.indexOf('\r\n\r\n', pos);
    if (end < 0 || all.length < end + 4 + bodySize) break;
    expect(all.subarray(pos, pos + head.length).equals(head)).toBe(true);
    expect(all.subarray(end + 4, end + 4 + bodySize).equals(bodyOf(seen, bodySize))).toBe(true);
    seen++;
    pos = end + 4 + bodySize;
  }
  expect(pos).toBe(all.length);
  socket.destroy();
  expect(seen).toBe(requests);
}

it('a client that stops reading gets every small response complete and in order', async () => {
  await stalledClientGetsAll(16_000, 600);
});

it('a client that stops reading gets every large response complete and in order', async () => {
  await stalledClientGetsAll(200_000, 60);
});
