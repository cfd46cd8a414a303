import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

interface Ctx {
  tried: string[];
}

/** An address nothing listens on (a port we bound and released). */
async function deadAddress(): Promise<string> {
  const origin = await startOrigin();
  const address = origin.address;
  await origin.close();
  return address;
}

describe('failover and retries', () => {
  it('retries a refused connect on the next upstream (ctx carries what to avoid)', async () => {
    const dead = await deadAddress();
    await using origin = await startOrigin();
    const peers: string[] = [];
    await using p = await startProxy<Ctx>({
      newCtx: () => ({ tried: [] }),
      upstreamPeer: (_s, ctx) => {
        const address = ctx.tried.length === 0 ? dead : origin.address;
        ctx.tried.push(address);
        peers.push(address);
        return new HttpPeer(address);
      },
      failToConnect: (_s, _peer, _ctx, e) => e.withRetry(true),
      logging: (s) => {
        peers.push(`retries=${s.retries}`);
      },
    });
    const res = await request(p.port, '/echo', { method: 'POST', body: 'payload' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).bytes).toBe(7);
    expect(peers).toEqual([dead, origin.address, 'retries=1']);
    expect(p.errors).toEqual([]);
  });

  it('gives up after max retries with 502 and one error log line', async () => {
    const dead = await deadAddress();
    let attempts = 0;
    await using p = await startProxy<null>(
      {
        newCtx: () => null,
        upstreamPeer: () => {
          attempts++;
          return new HttpPeer(dead);
        },
        failToConnect: (_s, _peer, _ctx, e) => e.withRetry(true),
      },
      { maxRetries: 3 },
    );
    const res = await request(p.port, '/');
    expect(res.status).toBe(502);
    expect(attempts).toBe(4);
    expect(p.errors.length).toBe(1);
  });

  it('answers 504 when the upstream does not answer within the read timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => {
      sockets.push(s);
      s.on('data', () => {});
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    try {
      await using p = await startProxy<null>({
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(`127.0.0.1:${port}`, { options: { readTimeout: 300 } }),
      });
      const res = await request(p.port, '/slow');
      expect(res.status).toBe(504);
      expect(p.errors[0]?.err).toMatch(/ReadTimedout/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('retries a request that failed on a stale pooled connection, on a fresh one', async () => {
    // Connection 1 answers once with keep-alive, then drops the next request
    // without a byte; later connections answer normally.
    let connections = 0;
    const sockets: Socket[] = [];
    const origin = createServer((s) => {
      sockets.push(s);
      const n = ++connections;
      let served = 0;
      s.on('data', (d: Buffer) => {
        if (!d.includes('\r\n\r\n')) return;
        served++;
        if (n === 1 && served === 2) {
          s.destroy();
          return;
        }
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Conn: ${n}\r\n\r\nconn-${n}`);
      });
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const port = (origin.address() as AddressInfo).port;
    try {
      await using p = await startProxy<null>({
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(`127.0.0.1:${port}`),
      });
      expect((await request(p.port, '/a')).body.toString()).toBe('conn-1');
      const second = await request(p.port, '/b');
      expect(second.status).toBe(200);
      expect(second.body.toString()).toBe('conn-2');
      expect(p.connector.stats.reusedConnections).toBe(1);
      expect(p.errors).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      origin.close();
    }
  });

  it('replays the request body from the retry buffer on the retry', async () => {
    // Connection 1 answers once, then takes the next request (body included)
    // and drops it without a byte; connection 2 echoes what it received.
    let connections = 0;
    const sockets: Socket[] = [];
    const origin = createServer((s) => {
      sockets.push(s);
      const n = ++connections;
      let served = 0;
      let pending = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        const head = pending.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(
          /content-length: (\d+)/i.exec(pending.subarray(0, head).toString())?.[1] ?? 0,
        );
        if (pending.length < head + 4 + length) return;
        const body = pending.subarray(head + 4, head + 4 + length).toString();
        pending = pending.subarray(head + 4 + length);
        served++;
        if (n === 1 && served === 2) {
          s.destroy();
          return;
        }
        const answer = `conn-${n}:${body}`;
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`);
      });
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const port = (origin.address() as AddressInfo).port;
    try {
      const filtered: string[] = [];
      await using p = await startProxy<null>({
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(`127.0.0.1:${port}`),
        requestBodyFilter: (_s, body) => {
          if (body !== null) filtered.push(body.toString());
        },
      });
      expect((await request(p.port, '/a', { method: 'POST', body: 'one' })).body.toString()).toBe(
        'conn-1:one',
      );
      const second = await request(p.port, '/b', { method: 'POST', body: 'two-body' });
      expect(second.body.toString()).toBe('conn-2:two-body');
      // The filter saw the body once per attempt.
      expect(filtered).toEqual(['one', 'two-body', 'two-body']);
    } finally {
      for (const s of sockets) s.destroy();
      origin.close();
    }
  });

  it('does not retry once the response header went downstream: the body is cut short', async () => {
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('x'.repeat(40));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    let attempts = 0;
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => {
        attempts++;
        return new HttpPeer(origin.address);
      },
      errorWhileProxy: (_peer, _s, e) => e.withRetry(true),
    });
    await expect(request(p.port, '/')).rejects.toThrow();
    expect(attempts).toBe(1);
  });
});
