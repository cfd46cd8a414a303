/**
 * Smoke test of the ctx sample, in-process from YAML with demo origins:
 * beta users are routed by their per-request ctx, counters are shared.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupCtx } from '../src/ctx-proxy.ts';

async function get(port: number, headers: Record<string, string> = {}) {
  const res = await httpRequest(port, '/', { headers, timeoutMs: 0 });
  return {
    body: res.body.toString(),
    n: String(res.headers['x-request-number']),
    beta: String(res.headers['x-beta-request-number']),
  };
}

it('routes beta users by ctx and counts requests across them', async () => {
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: 'version: 1\nctx:\n  listen: ["127.0.0.1:0"]\n',
  });
  const service = await setupCtx(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await service.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    const first = await get(port);
    expect(first.body).toContain('stable-origin');
    expect(first.n).toBe('1');
    expect(first.beta).toBe('undefined');
    const beta = await get(port, { 'beta-flag': '1' });
    expect(beta.body).toContain('beta-origin');
    expect(beta.n).toBe('2');
    expect(beta.beta).toBe('1');
    expect((await get(port)).n).toBe('3');
  } finally {
    await run.shutdown();
  }
});
