/**
 * Body chunks forwarded without copies (BodySink.takesTransientChunks): the
 * proxy hands views of the process's shared read buffer straight to the
 * other side's writer, which must consume them before the next socket read
 * reuses that memory. These tests make the next reads happen (other requests
 * through the same proxy) while a slow peer holds a write back, and check
 * every byte by its position; and they check the lifetime rule for body
 * filters: a filter that keeps the chunks it was given sees stable bytes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { startProxy } from './utils/proxy-harness.ts';

const MiB = 1024 * 1024;
/** Byte i of every test body is i mod 251 (a prime: a chunk out of place shows). */
const PERIOD = 251;
const PATTERN = Buffer.alloc(PERIOD * 1024);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PERIOD;

/** Checks `chunk`, found at body offset `at`, against the pattern; -1 or the first bad offset. */
function mismatch(chunk: Buffer, at: number): number {
  let o = 0;
  while (o < chunk.length) {
    const phase = (at + o) % PERIOD;
    const n = Math.min(chunk.length - o, PATTERN.length - phase);
    if (!chunk.subarray(o, o + n).equals(PATTERN.subarray(phase, phase + n))) {
      for (let i = 0; i < n; i++) if (chunk[o + i] !== (at + o + i) % PERIOD) return at + o + i;
    }
    o += n;
  }
  return -1;
}

/** Writes `size` pattern bytes to `out` with its backpressure, in chunks of up to 64 KiB. */
function writePattern(
  out: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown },
  size: number,
  done: () => void,
): void {
  let at = 0;
  const pump = () => {
    while (at < size) {
      const phase = at % PERIOD;
      const n = Math.min(64 * 1024, size - at);
      const chunk = PATTERN.subarray(phase, phase + n);
      at += n;
      if (!out.write(chunk)) {
        out.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

interface PatternOrigin extends AsyncDisposable {
  readonly address: string;
}

/** GET /size/N answers N pattern bytes; POST checks the body and answers `ok <bytes>` or `bad <offset>`. */
async function startPatternOrigin(slowUploadMs = 0): Promise<PatternOrigin> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST') {
      let at = 0;
      let bad = -1;
      const read = () =>
        req.on('data', (c: Buffer) => {
          if (bad < 0) bad = mismatch(c, at);
          at += c.length;
        });
      if (slowUploadMs > 0) {
        req.pause();
        setTimeout(() => {
          read();
          req.resume();
        }, slowUploadMs);
      } else read();
      req.on('end', () => res.end(bad < 0 ? `ok ${at}` : `bad ${bad}`));
      return;
    }
    if (req.url === '/small') {
      res.end('small');
      return;
    }
    const size = Number(/^\/size\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    res.writeHead(200, { 'Content-Length': String(size) });
    writePattern(res, size, () => res.end());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Keeps small requests going through the proxy (each one a read into the shared buffer) until stopped. */
function backgroundTraffic(port: number): { stop(): Promise<number> } {
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      const res = await fetch(`http://127.0.0.1:${port}/small`);
      await res.text();
      count++;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return count;
    },
  };
}

/** Reads a raw HTTP/1.1 response body of `size` bytes, pausing now and then; resolves with the first bad offset or -1. */
function slowDownload(port: number, path: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: '127.0.0.1', port });
    let head = Buffer.alloc(0);
    let inBody = false;
    let at = 0;
    let bad = -1;
    let reads = 0;
    const timer = setTimeout(() => sock.destroy(new Error('slow download timed out')), 30_000);
    sock.on('data', (c: Buffer) => {
      let body = c;
      if (!inBody) {
        head = Buffer.concat([head, c]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        inBody = true;
        body = head.subarray(end + 4);
      }
      if (bad < 0 && body.length > 0) bad = mismatch(body, at);
      at += body.length;
      if (at >= size) {
        clearTimeout(timer);
        sock.destroy();
        resolve(bad);
        return;
      }
      // A slow reader: the proxy's writes to it back up and complete later.
      if (++reads % 8 === 0) {
        sock.pause();
        setTimeout(() => sock.resume(), 20);
      }
    });
    sock.on('error', reject);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  });
}

function toOrigin(address: string, extra: Partial<ProxyHttp<null>> = {}): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address), ...extra };
}

describe('body chunks forwarded without copies', () => {
  it('a slow client gets every response byte intact and in order while other reads reuse the buffer', async () => {
    await using origin = await startPatternOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const traffic = backgroundTraffic(p.port);
    const bad = await slowDownload(p.port, `/size/${8 * MiB}`, 8 * MiB);
    expect(await traffic.stop()).toBeGreaterThan(0);
    expect(bad).toBe(-1);
  }, 40_000);

  it('a slow upstream gets every request byte intact and in order while other reads reuse the buffer', async () => {
    await using origin = await startPatternOrigin(300);
    await using p = await startProxy(toOrigin(origin.address));
    const traffic = backgroundTraffic(p.port);
    const res = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: p.port });
      const got: Buffer[] = [];
      sock.on('data', (c: Buffer) => {
        got.push(c);
        const text = Buffer.concat(got).toString('latin1');
        const m = /\r\n\r\n(ok \d+|bad \d+)$/.exec(text);
        if (m !== null) {
          sock.destroy();
          resolve(m[1]!);
        }
      });
      sock.on('error', reject);
      sock.write(`POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: ${8 * MiB}\r\n\r\n`);
      writePattern(sock, 8 * MiB, () => {});
    });
    expect(await traffic.stop()).toBeGreaterThan(0);
    expect(res).toBe(`ok ${8 * MiB}`);
  }, 40_000);

  it('a response body filter that keeps its chunks sees stable bytes (lifetime rule)', async () => {
    await using origin = await startPatternOrigin();
    const kept: Buffer[] = [];
    await using p = await startProxy(
      toOrigin(origin.address, {
        responseBodyFilter(_s, body) {
          // Kept without a copy: the proxy must have given the filter its own bytes.
          if (body !== null) kept.push(body);
          return undefined;
        },
      }),
    );
    const traffic = backgroundTraffic(p.port);
    expect(await slowDownload(p.port, `/size/${4 * MiB}`, 4 * MiB)).toBe(-1);
    await traffic.stop();
    // The background requests' small bodies went through the filter too: take the big one's.
    const big = kept.filter((b) => b.length > 5);
    const all = Buffer.concat(big);
    expect(all.length).toBe(4 * MiB);
    expect(mismatch(all, 0)).toBe(-1);
  }, 40_000);

  it('a request body filter that keeps its chunks sees stable bytes (lifetime rule)', async () => {
    await using origin = await startPatternOrigin();
    const kept: Buffer[] = [];
    await using p = await startProxy(
      toOrigin(origin.address, {
        requestBodyFilter(_s, body) {
          if (body !== null) kept.push(body);
          return undefined;
        },
      }),
    );
    const traffic = backgroundTraffic(p.port);
    const res = await fetch(`http://127.0.0.1:${p.port}/up`, {
      method: 'POST',
      body: Buffer.concat(Array.from({ length: 16 }, () => PATTERN.subarray(0, PERIOD * 1000))),
    });
    await traffic.stop();
    const size = 16 * PERIOD * 1000;
    expect(await res.text()).toBe(`ok ${size}`);
    const all = Buffer.concat(kept);
    expect(all.length).toBe(size);
    expect(mismatch(all, 0)).toBe(-1);
  }, 40_000);
});
