/**
 * Smoke test of the use-module sample, in-process with a text origin: the
 * ACL module answers 403 without the credential, and responses are
 * compressed for clients that accept it (decoded here with zlib).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupUseModule } from '../src/module-proxy.ts';

const text = 'pingora-ts modules compress this text. '.repeat(500);

async function get(port: number, headers: Record<string, string>) {
  const res = await httpRequest(port, '/', { headers, timeoutMs: 0 });
  return {
    status: res.status,
    encoding: String(res.headers['content-encoding']),
    body: res.body,
  };
}

it('checks the credential in a module and compresses responses', async () => {
  const origin = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  const upstream = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: `version: 1\nuse_module:\n  listen: ["127.0.0.1:0"]\n  upstream: "${upstream}"\n`,
  });
  const service = await setupUseModule(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await service.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    expect((await get(port, {})).status).toBe(403);
    expect((await get(port, { Authorization: 'basic wrong' })).status).toBe(403);
    const res = await get(port, { Authorization: 'basic testcode', 'Accept-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.encoding).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(text);
  } finally {
    await run.shutdown();
    origin.closeAllConnections();
    origin.close();
  }
});
