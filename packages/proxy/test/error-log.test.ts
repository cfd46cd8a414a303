/**
 * The error log: every failure the proxy logs carries the error kind, source,
 * retry decision, the phase that failed, the peer, the request summary and
 * the root cause's stack; httpProxyService logs through the server's logger
 * (here its error_log file, read back as JSON lines) without being told to.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSocketAddr, HttpPeer, Server } from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { serializeProxyError } from '../src/error-log.ts';
import { httpProxyService } from '../src/http-proxy-service.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

const toPeer = (address: string): ProxyHttp<null> => ({
  newCtx: () => null,
  upstreamPeer: () => new HttpPeer(address),
});

async function closedAddress(): Promise<string> {
  const origin = await startOrigin();
  const address = origin.address;
  await origin.close();
  return address;
}

describe('error log fields', () => {
  it('a refused connect names kind, source, retry, phase connect, peer and the root stack', async () => {
    const address = await closedAddress();
    await using p = await startProxy(toPeer(address));
    const res = await request(p.port, '/a?b=1', { headers: { host: 'example.test' } });
    expect(res.status).toBe(502);
    expect(p.errors).toHaveLength(1);
    const f = p.errors[0]?.fields;
    expect(f?.phase).toBe('connect');
    expect(f?.peer).toBe(new HttpPeer(address).toString());
    expect(f?.retries).toBe(0);
    expect(f?.request).toBe('GET /a?b=1, Host: example.test');
    expect(f?.err.type).toBe('PingoraError');
    expect(f?.err.kind).toBe('ConnectRefused');
    expect(f?.err.source).toBe('Upstream');
    expect(f?.err.retry).toBe(false);
    expect(f?.err.context).toContain(`peer: ${new HttpPeer(address).toString()}`);
    // The root cause is Node's connect error: its stack, and its code in the chain.
    expect(f?.err.causes.at(-1)?.code).toBe('ECONNREFUSED');
    expect(f?.err.stack).toMatch(/^Error: connect ECONNREFUSED/);
  });

  it('retried failures report the retries and the retry decision of the last attempt', async () => {
    const address = await closedAddress();
    await using p = await startProxy(
      { ...toPeer(address), failToConnect: (_s, _peer, _ctx, e) => e.withRetry(true) },
      { maxRetries: 2 },
    );
    expect((await request(p.port, '/')).status).toBe(502);
    const f = p.errors[0]?.fields;
    expect(f?.retries).toBe(2);
    expect(f?.err.retry).toBe(true);
    expect(f?.phase).toBe('connect');
  });

  it('an error thrown by a filter names its phase and carries its own stack', async () => {
    await using origin = await startOrigin();
    const inner: ProxyHttp<null> = {
      ...toPeer(origin.address),
      requestFilter: () => {
        throw new TypeError('filter bug');
      },
    };
    await using p = await startProxy(inner);
    expect((await request(p.port, '/')).status).toBe(500);
    const f = p.errors[0]?.fields;
    expect(f?.phase).toBe('request_filter');
    expect(f?.peer).toBeUndefined();
    expect(f?.err.causes[0]).toEqual({ type: 'TypeError', message: 'filter bug' });
    expect(f?.err.stack).toMatch(/^TypeError: filter bug\n.*error-log\.test\.ts/s);
  });

  it('a response filter failure names the response filter phase and the peer', async () => {
    await using origin = await startOrigin();
    const inner: ProxyHttp<null> = {
      ...toPeer(origin.address),
      responseFilter: async () => {
        throw PingoraError.httpStatus(503, 'not today');
      },
    };
    await using p = await startProxy(inner);
    expect((await request(p.port, '/')).status).toBe(503);
    const f = p.errors[0]?.fields;
    expect(f?.phase).toBe('response_filter');
    expect(f?.peer).toBe(new HttpPeer(origin.address).toString());
    expect(f?.err.kind).toBe('HTTPStatus(503)');
    expect(f?.err.causes).toEqual([]);
    expect(f?.err.stack).toContain('error-log.test.ts');
  });

  it('serializes values that are not errors', () => {
    const s = serializeProxyError('plain');
    expect(s).toMatchObject({ type: 'string', kind: 'Unknown', message: 'plain', causes: [] });
  });
});

describe("httpProxyService uses the server's logger by default", () => {
  it('writes the failure as one JSON line to the error_log with every field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-error-log-'));
    const errorLog = join(dir, 'error.log');
    const server = new Server({ conf: { errorLog } });
    const address = await closedAddress();
    const service = httpProxyService(server, toPeer(address), { name: 'edge' });
    service.addTcp('127.0.0.1:0');
    server.addService(service);
    await using run = server.run();
    await run.ready;
    const bound = service.boundAddresses()[0];
    if (bound === undefined || bound.kind !== 'inet') throw new Error('not listening');
    const port = Number(formatSocketAddr(bound).split(':').at(-1));
    expect((await request(port, '/x')).status).toBe(502);
    const lines = readFileSync(errorLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('fail to proxy'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown> & { err: Record<string, unknown> };
    expect(line.level).toBe(50);
    expect(line.service).toBe('edge');
    expect(line.phase).toBe('connect');
    expect(line.peer).toBe(new HttpPeer(address).toString());
    expect(line.request).toBe(`GET /x, Host: 127.0.0.1:${port}`);
    expect(line.err.kind).toBe('ConnectRefused');
    expect(line.err.source).toBe('Upstream');
    expect(line.err.retry).toBe(false);
    expect(String(line.err.stack)).toMatch(/^Error: connect ECONNREFUSED/);
  });
});
