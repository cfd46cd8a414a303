/**
 * The cache sample with `cache_proxy.redis` from YAML: two instances share
 * a private redis-server (a miss on one is a hit on the other; 300
 * concurrent misses over both make one origin fetch), /metrics says whether
 * Redis is up, and with Redis killed every request is still served (from
 * the origin) while logs and metrics say the shared tier is bypassed.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStorage } from '@pingora-ts/cache';
import { createServerLogger, DEFAULT_SERVER_CONF, Server, type SocketAddr } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { RedisServer } from '../../../tooling/test-redis.ts';
import { cacheProxyConfigSchema } from '../src/config.ts';
import { redisTier } from '../src/redis-tier.ts';
import { setupCacheProxy } from '../src/setup.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (f()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function countingOrigin() {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    setTimeout(() => {
      const body = `origin ${path}`;
      res.writeHead(200, { 'Cache-Control': 'max-age=60', 'Content-Length': body.length });
      res.end(body);
    }, 50);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (p: string) => hits.get(p) ?? 0,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

it('two instances from YAML share the Redis tier and lock; Redis down = served from the origin', async () => {
  await using redis = await RedisServer.start();
  const origin = await countingOrigin();
  const prefix = `t${Math.random().toString(36).slice(2)}:`;
  const yaml = [
    'version: 1',
    'cache_proxy:',
    '  listen: ["127.0.0.1:0"]',
    `  upstreams: ["${origin.address}"]`,
    '  metrics_listen: 127.0.0.1:0',
    '  lock_age_timeout_ms: 5000',
    '  lock_wait_timeout_ms: 5000',
    '  redis:',
    `    port: ${redis.port}`,
    '    command_timeout_ms: 1000',
    '    reconnect_max_ms: 200',
    `    key_prefix: "${prefix}"`,
  ].join('\n');
  const instances = await Promise.all(
    [0, 1].map(async () => {
      const s = new Server({
        logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
        confText: yaml,
      });
      const setup = await setupCacheProxy(s);
      const run = s.run();
      await run.ready;
      const [addr] = (await setup.service.listening) as [SocketAddr & { port: number }];
      const [maddr] = (await setup.metrics!.listening) as [SocketAddr & { port: number }];
      return { ...setup, run, port: addr.port, metricsPort: maddr.port };
    }),
  );
  try {
    await until('redis ready', () => instances.every((i) => i.redis?.ready === true));
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    // one Host for both (the cache key is Host + target)
    const get = (port: number, path: string) =>
      httpRequest(port, path, { headers: { host: 'cache.example' }, timeoutMs: 10_000 });
    const metric = async (name: string) => {
      const text = (await get(a.metricsPort, '/metrics')).body.toString();
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    // a miss on one instance is a hit on the other (B waits on A's lock if A still stores)
    const first = await get(a.port, '/shared');
    expect([first.status, first.headers['x-cache-status']]).toEqual([200, 'MISS']);
    const second = await get(b.port, '/shared');
    expect([second.headers['x-cache-status'], second.body.toString()]).toEqual([
      'HIT',
      'origin /shared',
    ]);
    expect(origin.count('/shared')).toBe(1);
    // a stampede over both instances: one fetch
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => get(instances[i % 2]!.port, '/stampede')),
    );
    for (const r of all) expect([r.status, r.body.toString()]).toEqual([200, 'origin /stampede']);
    expect(origin.count('/stampede')).toBe(1);
    expect(await metric('pingora_redis_up{name="cache"}')).toBe(1);

    // Redis goes away: requests are served from the origin, metrics say so
    await redis.kill();
    await until('redis down', () => instances.every((i) => i.redis?.ready === false));
    for (const i of instances) {
      const r = await get(i.port, '/while-down');
      expect([r.status, r.body.toString()]).toEqual([200, 'origin /while-down']);
    }
    expect(await metric('pingora_redis_up{name="cache"}')).toBe(0);
    expect(await metric('pingora_redis_cache_bypass_total{op="lookup"}')).toBeGreaterThan(0);
    // back: shared again within a second
    await redis.restart();
    await until('redis back', () => instances.every((i) => i.redis?.ready === true), 1000);
  } finally {
    await Promise.all(instances.map((i) => i.run.shutdown()));
    await origin.close();
  }
}, 60_000);

it('logs when Redis is unreachable and when it is back', async () => {
  await using redis = await RedisServer.start();
  const lines: string[] = [];
  const log = {
    info: (_o: object, msg: string) => lines.push(`info ${msg}`),
    warn: (_o: object, msg: string) => lines.push(`warn ${msg}`),
  };
  const config = cacheProxyConfigSchema.fromObject({
    redis: { port: redis.port, reconnect_max_ms: 100, shared_lock: false },
  });
  const tier = redisTier(config, new MemoryStorage({ maxSizeBytes: 1 << 20 }), log);
  expect(tier?.lock).toBeUndefined();
  expect(tier?.storage).toBeDefined();
  try {
    await until('connected log', () => lines.length > 0);
    expect(lines[0]).toBe('info redis connected: the cache tier and lock are shared');
    await redis.kill();
    await until('down log', () => lines.some((l) => l.startsWith('warn')));
    expect(lines.find((l) => l.startsWith('warn'))).toMatch(/bypassed \(memory, then origin\)/);
    // while it stays away: no line per reconnect attempt
    await sleep(400);
    expect(lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    await redis.restart();
    await until('back log', () => lines.length === 3);
    expect(lines[2]).toBe('info redis connected: the cache tier and lock are shared');
  } finally {
    await tier?.client.close();
  }
});

it('names the key of a bad redis setting', async () => {
  const server = (section: string) =>
    new Server({
      logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
      confText: `version: 1\ncache_proxy:\n  listen: ["127.0.0.1:0"]\n${section}`,
    });
  await expect(setupCacheProxy(server('  redis:\n    shared_lock: maybe\n'))).rejects.toThrow(
    /cache_proxy\.redis\.shared_lock/,
  );
  await expect(setupCacheProxy(server('  redis:\n    port: 70000\n'))).rejects.toThrow(
    /cache_proxy\.redis\.port/,
  );
  await expect(setupCacheProxy(server('  metrics_listen: nowhere\n'))).rejects.toThrow(
    /cache_proxy\.metrics_listen/,
  );
});
