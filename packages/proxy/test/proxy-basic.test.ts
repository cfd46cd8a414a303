import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyRequestEvent } from '../src/proxy-events.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange, request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

function toOrigin(address: string): ProxyHttp<null> {
  return {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(address),
  };
}

describe('HttpProxy basics', () => {
  it('proxies a GET and reuses the pooled upstream connection', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    for (let i = 0; i < 3; i++) {
      const res = await request(p.port, '/hello');
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('hello from origin');
    }
    expect(p.connector.stats.newConnections).toBe(1);
    expect(p.connector.stats.reusedConnections).toBe(2);
    expect(p.errors).toEqual([]);
  });

  it('preserves header case and order end to end, and strips hop-by-hop fields', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const raw = await rawExchange(
      p.port,
      'GET /echo HTTP/1.1\r\nHost: example.test\r\nX-MiXeD-CaSe: 1\r\nconnection: X-Drop, close\r\nX-Drop: secret\r\nkeep-alive: 5\r\nx-lower: 2\r\n\r\n',
    );
    const text = raw.toString('latin1');
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    const names: string[] = body.rawHeaders.filter((_: string, i: number) => i % 2 === 0);
    expect(names).toEqual(['Host', 'X-MiXeD-CaSe', 'x-lower']);
    expect(body.rawHeaders[1]).toBe('example.test');
  });

  it('preserves the case of response header names from the upstream', async () => {
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, [
        ['X-UPPER', 'a'],
        ['x-lower', 'b'],
        ['X-MiXeD-CaSe', 'c'],
        ['Content-Length', '2'],
      ]);
      res.end('ok');
    });
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1');
    expect(raw).toContain('\r\nX-UPPER: a\r\nx-lower: b\r\nX-MiXeD-CaSe: c\r\n');
  });

  it('answers 502 when the upstream refuses the connection, logging once', async () => {
    const origin = await startOrigin();
    const address = origin.address;
    await origin.close();
    await using p = await startProxy(toOrigin(address));
    const res = await request(p.port, '/');
    expect(res.status).toBe(502);
    expect(p.errors.length).toBe(1);
    expect(p.errors[0]?.request).toBe(`GET /, Host: 127.0.0.1:${p.port}`);
    expect(p.errors[0]?.err).toMatch(/ConnectRefused/);
  });
});

describe('diagnostics', () => {
  it('publishes one pingora-ts:proxy:request event per request', async () => {
    const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
    const events: ProxyRequestEvent[] = [];
    const onEvent = (e: unknown) => events.push(e as ProxyRequestEvent);
    subscribe('pingora-ts:proxy:request', onEvent);
    try {
      await using origin = await startOrigin();
      await using p = await startProxy(toOrigin(origin.address));
      await request(p.port, '/echo', { method: 'POST', body: 'abc' });
      for (let i = 0; i < 100 && events.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        method: 'POST',
        status: 200,
        upstream: origin.address,
        retries: 0,
        requestBodyBytes: 3,
        error: undefined,
      });
    } finally {
      unsubscribe('pingora-ts:proxy:request', onEvent);
    }
  });
});
