import { request as httpRequest } from 'node:http';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { startOrigin, streamPattern } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

/** A small seeded PRNG, so a failing mix can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = 'ok' | 'bad-gateway' | 'aborted';

describe('mixed traffic', () => {
  it('survives a seeded mix of uploads, downloads, client aborts and origin failures', async () => {
    await using origin = await startOrigin((req, res) => {
      const url = req.url ?? '/';
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      req.on('end', () => {
        if (url.startsWith('/fail')) {
          res.socket?.destroy();
          return;
        }
        const size = Number(/size=(\d+)/.exec(url)?.[1] ?? 0);
        res.writeHead(200, { 'X-Received': String(bytes), 'Content-Length': String(size) });
        streamPattern(res, size);
      });
    });
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address),
      suppressErrorLog: () => true,
    });
    const rand = prng(0x5eed);
    const one = (i: number): Promise<Outcome> => {
      const upload = rand() < 0.5 ? Math.floor(rand() * 200_000) : 0;
      const download = Math.floor(rand() * 300_000);
      const fail = rand() < 0.1;
      const abortAfter = rand() < 0.15 ? Math.floor(rand() * 50_000) : -1;
      const path = fail ? `/fail/${i}` : `/x/${i}?size=${download}`;
      return new Promise<Outcome>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: p.port,
            path,
            method: upload > 0 ? 'POST' : 'GET',
            agent: false,
            headers: upload > 0 ? { 'Content-Length': upload } : {},
          },
          (res) => {
            let got = 0;
            res.on('data', (c: Buffer) => {
              got += c.length;
              if (abortAfter >= 0 && got > abortAfter) {
                req.destroy();
                resolve('aborted');
              }
            });
            res.on('end', () => {
              if (res.statusCode === 502) return resolve('bad-gateway');
              if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
              if (got !== download) return reject(new Error(`got ${got} of ${download}`));
              if (res.headers['x-received'] !== String(upload)) {
                return reject(new Error(`origin got ${res.headers['x-received']} of ${upload}`));
              }
              resolve('ok');
            });
            res.on('error', () => resolve('aborted'));
          },
        );
        req.on('error', (err) => (abortAfter >= 0 || fail ? resolve('aborted') : reject(err)));
        req.setTimeout(20_000, () => req.destroy(new Error('request timed out')));
        req.end(upload > 0 ? Buffer.alloc(upload, 0x61) : undefined);
      });
    };
    const outcomes: Outcome[] = [];
    const total = 120;
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < total) outcomes.push(await one(next++));
      }),
    );
    expect(outcomes).toHaveLength(total);
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
    expect(count('ok')).toBeGreaterThan(total / 2);
    expect(count('bad-gateway')).toBeGreaterThan(0);
    // Whatever happened, the pool holds no more than one idle connection per client slot.
    expect(p.connector.idleCount).toBeLessThanOrEqual(12);
    // And the proxy still serves.
    expect(await one(total)).not.toBe('bad-gateway');
  }, 60_000);
});
