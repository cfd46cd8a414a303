import { storageConformance } from '@pingora-ts/cache/testing';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { NodeRedisClient } from '../src/node-redis-client.ts';
import { RedisStorage } from '../src/redis-storage.ts';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.kill());

async function redisStorage(chunkBytes?: number): Promise<RedisStorage> {
  const c = new NodeRedisClient({ port: server.port });
  await c.connect(2000);
  return new RedisStorage(c, chunkBytes === undefined ? {} : { chunkBytes });
}

storageConformance('RedisStorage', () => redisStorage(), {
  dispose: (s) => (s as RedisStorage).redis.close(),
});
// tiny chunks: every read past the first goes through GETRANGE
storageConformance('RedisStorage (3-byte chunks)', () => redisStorage(3), {
  dispose: (s) => (s as RedisStorage).redis.close(),
});
