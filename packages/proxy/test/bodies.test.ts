import { connect } from 'node:net';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange } from './utils/client.ts';
import { startOrigin, streamPattern } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { memoryWatch, streamRequest } from './utils/stream-client.ts';

const MiB = 1024 * 1024;

function toOrigin(address: string): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address) };
}

describe('request and response bodies', () => {
  it.each([0, 1, 64 * 1024])('POSTs %i bytes with Content-Length and chunked', async (size) => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    for (const chunked of [false, true]) {
      const res = await streamRequest(p.port, '/echo', size, { chunked, keepBody: true });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).bytes).toBe(size);
    }
    for (const path of [`/size/${size}`, `/size/${size}?cl`]) {
      const res = await streamRequest(p.port, path, 0, { method: 'GET' });
      expect(res.bytes).toBe(size);
    }
  });

  it('streams 100 MiB up and 100 MiB down with flat memory', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const watch = memoryWatch();
    const up = await streamRequest(p.port, '/echo', 100 * MiB, { chunked: true, keepBody: true });
    const down = await streamRequest(p.port, `/size/${100 * MiB}`, 0, { method: 'GET' });
    const growth = watch.stop();
    expect(JSON.parse(up.body).bytes).toBe(100 * MiB);
    expect(down.bytes).toBe(100 * MiB);
    // Everything (client, proxy, origin) shares this process: a body buffered
    // anywhere would grow through the transfer; streaming holds a few socket buffers.
    expect(growth).toBeLessThan(16 * MiB);
  }, 60_000);

  it('applies backpressure to the upstream when the client reads slowly', async () => {
    let originWritten = () => 0;
    await using origin = await startOrigin((_req, res) => {
      originWritten = () => res.socket?.bytesWritten ?? 0;
      res.writeHead(200, { 'Content-Length': String(64 * MiB) });
      streamPattern(res, 64 * MiB);
    });
    await using p = await startProxy(toOrigin(origin.address));
    let pausedAt = 0;
    const result = streamRequest(p.port, '/', 0, {
      method: 'GET',
      onResponse: (res) => {
        res.pause();
        setTimeout(() => {
          pausedAt = originWritten();
          res.resume();
        }, 800);
      },
    });
    const done = await result;
    expect(done.bytes).toBe(64 * MiB);
    // While the client did not read, the origin could only fill the socket buffers.
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(24 * MiB);
  }, 30_000);

  it('applies backpressure to the client when the upstream reads the body slowly', async () => {
    let received = 0;
    await using origin = await startOrigin((req, res) => {
      req.pause();
      setTimeout(() => {
        req.on('data', (c: Buffer) => {
          received += c.length;
        });
        req.resume();
      }, 800);
      req.on('end', () => {
        res.writeHead(200, { 'Content-Length': '2' });
        res.end('ok');
      });
    });
    await using p = await startProxy(toOrigin(origin.address));
    const { request: httpRequest } = await import('node:http');
    const total = 64 * MiB;
    let sentWhilePaused = -1;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: p.port,
          path: '/',
          method: 'POST',
          agent: false,
          headers: { 'Content-Length': total },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      setTimeout(() => {
        sentWhilePaused = req.socket?.bytesWritten ?? -1;
      }, 700);
      const block = Buffer.alloc(256 * 1024, 1);
      let left = total;
      const pump = () => {
        while (left > 0) {
          left -= block.length;
          if (!req.write(block)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(200);
    expect(received).toBe(total);
    // While the origin did not read, the client could only fill the socket buffers on the way.
    expect(sentWhilePaused).toBeGreaterThan(0);
    expect(sentWhilePaused).toBeLessThan(24 * MiB);
  }, 30_000);

  it('closes (never pools) the upstream connection when the client goes away mid-response', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    await using origin = await startOrigin((_req, res) => {
      res.socket?.on('close', () => upstreamClosed());
      res.writeHead(200, { 'Content-Length': String(32 * MiB) });
      streamPattern(res, 32 * MiB);
    });
    await using p = await startProxy(toOrigin(origin.address));
    await new Promise<void>((resolve, reject) => {
      const s = connect(p.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = 0;
      s.on('data', (c: Buffer) => {
        got += c.length;
        if (got > MiB) {
          s.destroy();
          resolve();
        }
      });
      s.on('error', reject);
    });
    await closed;
    expect(p.connector.idleCount).toBe(0);
  }, 30_000);

  it('never sends the chunked terminator when the upstream dies mid-body', async () => {
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('partial-');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1');
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    expect(raw.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(raw).toContain('partial-');
    expect(raw.endsWith('0\r\n\r\n')).toBe(false);
  });
});
