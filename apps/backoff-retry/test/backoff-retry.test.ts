/**
 * Smoke test of the backoff-retry sample, in-process from YAML: the first
 * (dead) upstream fails, the proxy backs off 10 ms and the retry succeeds;
 * with only dead upstreams it gives up after max_retries with 502.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupBackoffRetry } from '../src/backoff-proxy.ts';

async function get(port: number) {
  const res = await httpRequest(port, '/', { timeoutMs: 0 });
  return {
    status: res.status,
    retries: String(res.headers['x-retries']),
    body: res.body.toString(),
  };
}

async function withApp(yaml: string, fn: (port: number) => Promise<void>): Promise<void> {
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: yaml,
  });
  const service = await setupBackoffRetry(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await service.listening;
    await fn(addr?.kind === 'inet' ? addr.port : 0);
  } finally {
    await run.shutdown();
  }
}

it('backs off and retries on the next upstream after a failed connect', async () => {
  await withApp('version: 1\nbackoff_retry:\n  listen: ["127.0.0.1:0"]\n', async (port) => {
    const started = performance.now();
    const res = await get(port);
    expect(res.status).toBe(200);
    expect(res.body).toContain('demo-origin');
    expect(res.retries).toBe('1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(9);
  });
});

it('gives up with 502 after max_retries', async () => {
  await withApp(
    'version: 1\nmax_retries: 2\nbackoff_retry:\n  listen: ["127.0.0.1:0"]\n  upstreams: ["127.0.0.1:1"]\n  max_backoff_ms: 20\n',
    async (port) => {
      expect((await get(port)).status).toBe(502);
    },
  );
});
