/**
 * Smoke test of the modify-response sample, in-process from YAML with its
 * demo API: the JSON comes back rewritten, chunked instead of sized.
 */
import { request } from 'node:http';
import { createServerLogger, DEFAULT_SERVER_CONF, Server } from '@pingora-ts/core';
import { expect, it } from 'vitest';
import { setupModifyResponse } from '../src/modify-response.ts';

function get(port: number, path: string) {
  return new Promise<{ status: number; body: string; chunked: boolean }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          chunked: res.headers['transfer-encoding'] === 'chunked',
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
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
