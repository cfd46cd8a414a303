import { CacheKey, CacheMeta, MemoryStorage } from '@pingora-ts/cache';
import { storageConformance } from '@pingora-ts/cache/testing';
import { ResponseHeader } from '@pingora-ts/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisStorage } from '../src/redis-storage.ts';
import { TieredStorage } from '../src/tiered-storage.ts';
import { CountingRedis } from './utils/counting-redis.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

async function instance(now?: () => number) {
  const c = new NodeRedisClient({ port: server.port });
  await c.connect(2000);
  const counting = new CountingRedis(c);
  const memory = new MemoryStorage({ maxSizeBytes: 1 << 20 });
  const tiered = new TieredStorage(memory, new RedisStorage(counting), {
    frontTtlMs: 1000,
    ...(now === undefined ? {} : { now }),
  });
  return { tiered, counting, close: () => c.close() };
}

const meta = () => {
  const now = Date.now();
  return new CacheMeta({
    created: now,
    freshUntil: now + 60_000,
    header: ResponseHeader.build(200),
  });
};
let n = 0;
const key = () => new CacheKey('tier', `k${++n}-${Math.random()}`);
async function put(s: TieredStorage, k: CacheKey, text: string) {
  const m = await s.getMissHandler(k, meta());
  await m.writeBody(Buffer.from(text), true);
  await m.finish();
}
async function body(s: TieredStorage, k: CacheKey): Promise<string | undefined> {
  const f = await s.lookup(k);
  if (f === undefined) return undefined;
  const parts: Buffer[] = [];
  for (let b = await f.hit.readBody(); b !== null; b = await f.hit.readBody()) parts.push(b);
  f.hit.finish();
  return Buffer.concat(parts).toString();
}

const closers: (() => Promise<void>)[] = [];
storageConformance(
  'TieredStorage (memory over Redis)',
  async () => {
    const i = await instance();
    closers.push(i.close);
    return i.tiered;
  },
  { dispose: async () => closers.pop()?.() },
);

describe('TieredStorage', () => {
  it('a memory hit costs no Redis round trip; a memory miss that hits Redis fills memory', async () => {
    const clock = 1_000_000;
    const a = await instance(() => clock);
    const b = await instance(() => clock);
    const k = key();
    await put(a.tiered, k, 'shared');
    b.counting.reset();
    expect(await body(b.tiered, k)).toBe('shared'); // from Redis
    expect(b.counting.commands).toEqual(['EVALSHA']);
    b.counting.reset();
    expect(await body(b.tiered, k)).toBe('shared'); // from memory
    expect(b.counting.commands).toEqual([]);
    a.counting.reset();
    expect(await body(a.tiered, k)).toBe('shared'); // the writer kept a copy
    expect(a.counting.commands).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('finish() waits for writes the caller did not await (regression: empty body in Redis)', async () => {
    const a = await instance();
    const b = await instance();
    const k = key();
    const m = await a.tiered.getMissHandler(k, meta());
    void m.writeBody(Buffer.from('not '), false);
    void m.writeBody(Buffer.from('awaited'), true);
    await m.finish();
    expect(await body(b.tiered, k)).toBe('not awaited');
    await Promise.all([a.close(), b.close()]);
  });

  it("another instance's purge is seen once the front copy's TTL is over", async () => {
    let clock = 2_000_000;
    const a = await instance(() => clock);
    const b = await instance(() => clock);
    const k = key();
    await put(a.tiered, k, 'v1');
    expect(await body(b.tiered, k)).toBe('v1');
    expect(await a.tiered.purge(k.toCompact(), 'invalidation')).toBe(true);
    expect(await body(b.tiered, k)).toBe('v1'); // within frontTtlMs
    clock += 1001;
    expect(await body(b.tiered, k)).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });

  it("an expired front copy is not trusted: another instance's revalidation is seen at once", async () => {
    const a = await instance();
    const b = await instance();
    const k = key();
    const now = Date.now();
    const expired = new CacheMeta({
      created: now - 10_000,
      freshUntil: now - 1,
      header: ResponseHeader.build(200),
    });
    const m = await a.tiered.getMissHandler(k, expired);
    await m.writeBody(Buffer.from('asset'), true);
    await m.finish();
    expect((await b.tiered.lookup(k))?.meta.isFresh(Date.now())).toBe(false); // b's front filled
    await a.tiered.updateMeta(k, meta()); // a revalidated it (a 304)
    b.counting.reset();
    const found = await b.tiered.lookup(k);
    expect(found?.meta.isFresh(Date.now())).toBe(true);
    expect(b.counting.commands).toEqual(['EVALSHA']);
    found?.hit.finish();
    await Promise.all([a.close(), b.close()]);
  });
});
