/**
 * Smoke test of the modify-response sample, in-process from YAML with its
 * demo API: the JSON comes back rewritten, chunked instead of sized.
 */
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { httpRequest } from '../../../tooling/test-http.ts';
import { setupModifyResponse } from '../src/modify-response.ts';

async function get(port: number, path: string) {
  const res = await httpRequest(port, path, { timeoutMs: 0 });
  return {
    status: res.status,
    body: res.body.toString(),
    chunked: res.headers['transfer-encoding'] === 'chunked',
  };
}

it('rewrites the JSON body of upstream responses', async () => {
  const server = new Server({
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
    confText: 'version: 1\nmodify_response:\n  listen: ["127.0.0.1:0"]\n',
  });
  const service = await setupModifyResponse(server);
  const run = server.run();
  try {
    await run.ready;
    const [addr] = await service.listening;
    const port = addr?.kind === 'inet' ? addr.port : 0;
    const res = await get(port, '/ip');
    expect(res.status).toBe(200);
    expect(res.chunked).toBe(true);
    const json = JSON.parse(res.body);
    expect(json.proxied_by).toBe('pingora-ts');
    expect(json.original.ip).toBe('127.0.0.1');
    expect(JSON.parse((await get(port, '/items')).body).original.items).toHaveLength(2);
  } finally {
    await run.shutdown();
  }
});
