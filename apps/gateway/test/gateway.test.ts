/**
 * Smoke test of the gateway sample, in-process from YAML with demo origins:
 * routing by path and Host, and the 403 from requestFilter.
 */
import { request } from 'node:http';
import { createServerLogger, DEFAULT_SERVER_CONF, Server, type SocketAddr } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { setupGateway } from '../src/gateway.ts';

function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; server: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, server: String(res.headers.server) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
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
