/**
 * Smoke test of the gateway sample, in-process from YAML with demo origins:
 * routing by path and Host, and the 403 from requestFilter.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server, type SocketAddr } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupGateway } from '../src/gateway.ts';

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await httpRequest(port, path, { headers, timeoutMs: 0 });
  return { status: res.status, body: res.body.toString(), server: String(res.headers.server) };
}

it('routes by path and Host, and guards /admin with a token', async () => {
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: 'version: 1\ngateway:\n  listen: ["127.0.0.1:0"]\n  admin_token: t0k3n\n',
  });
  const service = await setupGateway(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = (await service.listening) as [SocketAddr & { port: number }];
    const port = addr.port;
    const api = await get(port, '/api/users');
    expect(JSON.parse(api.body)).toMatchObject({ origin: 'api-origin', url: '/api/users' });
    expect(api.server).toBe('pingora-ts-gateway');
    expect(JSON.parse((await get(port, '/x', { Host: 'api.example.com' })).body).origin).toBe(
      'api-origin',
    );
    expect((await get(port, '/')).body).toContain('web-origin');
    const denied = await get(port, '/admin/panel');
    expect(denied.status).toBe(403);
    expect(denied.body).toBe('forbidden\n');
    const admitted = await get(port, '/admin/panel', { Authorization: 'Bearer t0k3n' });
    expect(admitted.status).toBe(200);
    expect(admitted.body).toContain('web-origin');
  } finally {
    await run.shutdown();
  }
});
