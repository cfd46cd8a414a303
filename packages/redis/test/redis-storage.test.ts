import { CacheKey, CacheMeta, type HitHandler } from '@pingora-ts/cache';
import { ResponseHeader } from '@pingora-ts/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisStorage } from '../src/redis-storage.ts';
import { CountingRedis } from './utils/counting-redis.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

let n = 0;
const key = () => new CacheKey('t', `k${++n}`);
function meta(freshMs: number, swr = 0, sie = 0): CacheMeta {
  const now = Date.now();
  return new CacheMeta({
    created: now,
    freshUntil: now + freshMs,
    staleWhileRevalidateSec: swr,
    staleIfErrorSec: sie,
    header: ResponseHeader.build(200),
  });
}
async function readAll(hit: HitHandler): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < 10_000; i++) {
    const b = await hit.readBody();
    if (b === null) return Buffer.concat(parts);
    parts.push(b);
  }
  throw new Error('no end');
}
async function client(): Promise<NodeRedisClient> {
  const c = new NodeRedisClient({ port: server.port });
  await c.connect(2000);
  return c;
}

describe('RedisStorage', () => {
  it('keeps an asset for freshness + the longer stale window + the margin', async () => {
    const c = await client();
    const s = new RedisStorage(c, { ttlMarginMs: 5000 });
    const k = key();
    const miss = s.getMissHandler(k, meta(60_000, 30, 120));
    miss.writeBody(Buffer.from('x'), true);
    await miss.finish();
    const ttl = (await c.send(['PTTL', s.metaKey(k.combinedHex())])) as number;
    expect(ttl).toBeGreaterThan(60_000 + 120_000 + 5000 - 2000);
    expect(ttl).toBeLessThanOrEqual(60_000 + 120_000 + 5000);
    await c.close();
  });

  it('does not store a body over the limit', async () => {
    const c = await client();
    const s = new RedisStorage(c, { maxBodyBytes: 10 });
    const k = key();
    const miss = s.getMissHandler(k, meta(60_000));
    miss.writeBody(Buffer.alloc(6), false);
    miss.writeBody(Buffer.alloc(6), true);
    await expect(miss.finish()).rejects.toMatchObject({ type: 'InternalError' });
    expect(await s.lookup(k)).toBeUndefined();
    await c.close();
  });

  it('answers a lookup in one round trip and reads a range with GETRANGE only', async () => {
    const counting = new CountingRedis(await client());
    const s = new RedisStorage(counting, { chunkBytes: 1024 });
    const k = key();
    const body = Buffer.alloc(100_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const miss = s.getMissHandler(k, meta(60_000));
    miss.writeBody(body, true);
    await miss.finish();
    counting.reset();
    const found = await s.lookup(k);
    expect(counting.commands).toEqual(['EVALSHA']);
    expect(found?.hit.bodyLength).toBe(100_000);
    found!.hit.seek(50_000, 52_500);
    expect((await readAll(found!.hit)).equals(body.subarray(50_000, 52_500))).toBe(true);
    expect(counting.commands.slice(1)).toEqual(['GETRANGE', 'GETRANGE', 'GETRANGE']);
    // the lookup's first chunk plus the range: never the whole body
    expect(counting.replyBytes.reduce((a, b) => a + b, 0)).toBeLessThan(5000);
    await counting.close();
  });

  it('a reader on a replaced asset keeps reading its own version', async () => {
    const c = await client();
    const s = new RedisStorage(c, { chunkBytes: 2 });
    const k = key();
    const write = async (text: string) => {
      const m = s.getMissHandler(k, meta(60_000));
      m.writeBody(Buffer.from(text), true);
      await m.finish();
    };
    await write('aaaaaa');
    const found = await s.lookup(k);
    await write('bbbbbb');
    expect((await readAll(found!.hit)).toString()).toBe('aaaaaa');
    expect((await readAll((await s.lookup(k))!.hit)).toString()).toBe('bbbbbb');
    await c.close();
  });

  it('updateMeta refreshes the TTL of meta and body', async () => {
    const c = await client();
    const s = new RedisStorage(c, { ttlMarginMs: 1 });
    const k = key();
    const m = s.getMissHandler(k, meta(2000));
    m.writeBody(Buffer.from('b'), true);
    await m.finish();
    expect(await s.updateMeta(k, meta(300_000))).toBe(true);
    expect((await c.send(['PTTL', s.metaKey(k.combinedHex())])) as number).toBeGreaterThan(250_000);
    const keys = (await c.send(['KEYS', `${s.prefix}b:${k.combinedHex()}:*`])) as Buffer[];
    expect((await c.send(['PTTL', keys[0]!])) as number).toBeGreaterThan(250_000);
    await c.close();
  });

  it('rejects with a PingoraError when Redis is unreachable (the proxy bypasses the cache)', async () => {
    const s2 = await RedisServer.start();
    const c = new NodeRedisClient({ port: s2.port });
    await c.connect(2000);
    const s = new RedisStorage(c);
    await s2.kill();
    await new Promise((r) => setTimeout(r, 50));
    await expect(s.lookup(key())).rejects.toMatchObject({ type: 'ConnectError' });
    await c.close();
  });
});
