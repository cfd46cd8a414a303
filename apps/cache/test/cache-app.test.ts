/**
 * Smoke test of the cache sample, in-process from YAML with its demo origin:
 * MISS then HIT, HEAD from the GET entry, uncached methods proxied, purge
 * from loopback (200 then 404), an uncacheable path BYPASS, and config
 * errors that name the key.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server, type SocketAddr } from '@pingora-ts/core';
import { RequestHeader } from '@pingora-ts/http';
import type { Session } from '@pingora-ts/proxy';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { CacheGateway } from '../src/cache-gateway.ts';
import { cacheProxyConfigSchema } from '../src/config.ts';
import { setupCacheProxy } from '../src/setup.ts';

function server(section: string) {
  return new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: `version: 1\ncache_proxy:\n  listen: ["127.0.0.1:0"]\n${section}`,
  });
}

for (const [eviction, policy] of [
  ['lru', 'pingora'],
  ['tinyufo', 'rfc9111'],
] as const) {
  it(`caches, purges and reports X-Cache-Status (${eviction}, ${policy})`, async () => {
    const s = server(`  eviction: ${eviction}\n  policy: ${policy}\n  max_size_bytes: 1048576\n`);
    const { service } = await setupCacheProxy(s);
    const run = s.run();
    try {
      await run.ready;
      const [addr] = (await service.listening) as [SocketAddr & { port: number }];
      const port = addr.port;
      const get = (path: string, method = 'GET') =>
        httpRequest(port, path, { method, timeoutMs: 0 });
      const a = await get('/small');
      const b = await get('/small');
      expect([a.headers['x-cache-status'], b.headers['x-cache-status']]).toEqual(['MISS', 'HIT']);
      expect(b.body.toString()).toBe(a.body.toString());
      const big = await get('/64k');
      expect(big.body.length).toBe(65536);
      expect((await get('/64k')).headers['x-cache-status']).toBe('HIT');
      const head = await get('/small', 'HEAD');
      expect([head.headers['x-cache-status'], head.body.length]).toEqual(['HIT', 0]);
      const post = await httpRequest(port, '/small', { method: 'POST', body: 'x', timeoutMs: 0 });
      expect([post.status, post.headers['x-cache-status']]).toEqual([200, 'BYPASS']);
      expect(post.body.toString()).toContain('POST /small');
      expect((await get('/private')).headers['x-cache-status']).toBe('BYPASS');
      expect((await get('/64k', 'PURGE')).status).toBe(200);
      expect((await get('/64k', 'PURGE')).status).toBe(404);
      expect((await get('/64k')).headers['x-cache-status']).toBe('MISS');
    } finally {
      await run.shutdown();
    }
  });
}

it('names the key of a bad setting', async () => {
  await expect(setupCacheProxy(server('  eviction: fifo\n'))).rejects.toThrow(
    /cache_proxy\.eviction.*lru, tinyufo/,
  );
  await expect(setupCacheProxy(server('  policy: rfc2616\n'))).rejects.toThrow(
    /cache_proxy\.policy/,
  );
});

it('refuses PURGE from a client that is not on loopback', async () => {
  const config = cacheProxyConfigSchema.fromObject({});
  const gw = new CacheGateway(config, ['127.0.0.1:1']);
  const answered: number[] = [];
  const session = (address: string) =>
    ({
      reqHeader: RequestHeader.build('PURGE', '/x'),
      digest: {
        peerAddr: { kind: 'inet', family: address.includes(':') ? 6 : 4, address, port: 1 },
      },
      respond: async (status: number) => {
        answered.push(status);
      },
    }) as unknown as Session;
  expect(await gw.requestFilter(session('10.0.0.7'))).toBe(true);
  expect(await gw.requestFilter(session('2001:db8::1'))).toBe(true);
  expect(await gw.requestFilter(session('127.0.0.1'))).toBe(false);
  expect(await gw.requestFilter(session('::1'))).toBe(false);
  expect(answered).toEqual([403, 403]);
});
