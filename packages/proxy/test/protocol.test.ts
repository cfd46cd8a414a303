import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange, request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

function toOrigin(address: string): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address) };
}

/** An origin answering `body` with an `X-Checksum` trailer. */
const withTrailer = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
  res.write('body');
  res.addTrailers({ 'X-Checksum': 'abc123' });
  res.end();
};

/** One GET that accepts trailers, the whole raw answer as text. */
async function getWithTrailers(port: number): Promise<string> {
  const request = 'GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n';
  return (await rawExchange(port, request)).toString('latin1');
}

describe('HTTP/1 details through the proxy', () => {
  it('forwards chunked trailers through both trailer filters', async () => {
    await using origin = await startOrigin(withTrailer);
    const seen: string[] = [];
    await using p = await startProxy<null>({
      ...toOrigin(origin.address),
      upstreamResponseTrailerFilter: (_s, trailers) => {
        seen.push(`upstream ${trailers.getHeader('x-checksum')}`);
      },
      responseTrailerFilter: (_s, trailers) => {
        seen.push('downstream');
        trailers.appendHeader('X-Proxy-Trailer', 'yes');
      },
    });
    const raw = await getWithTrailers(p.port);
    expect(seen).toEqual(['upstream abc123', 'downstream']);
    expect(raw).toContain('4\r\nbody\r\n0\r\nX-Checksum: abc123\r\nX-Proxy-Trailer: yes\r\n\r\n');
  });

  it('waits for asynchronous header and trailer filters, in order', async () => {
    await using origin = await startOrigin(withTrailer);
    const seen: string[] = [];
    const later = (what: string) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(what);
          resolve();
        }, 5),
      );
    await using p = await startProxy<null>({
      ...toOrigin(origin.address),
      upstreamResponseFilter: async (_s, resp) => {
        await later('upstreamResponseFilter');
        resp.insertHeader('X-Upstream-Filter', '1');
      },
      responseFilter: async (_s, resp) => {
        await later('responseFilter');
        resp.insertHeader('X-Response-Filter', '1');
      },
      upstreamResponseTrailerFilter: () => later('upstreamResponseTrailerFilter'),
      responseTrailerFilter: async (_s, trailers) => {
        await later('responseTrailerFilter');
        trailers.appendHeader('X-Proxy-Trailer', 'yes');
      },
    });
    const raw = await getWithTrailers(p.port);
    expect(seen).toEqual([
      'upstreamResponseFilter',
      'responseFilter',
      'upstreamResponseTrailerFilter',
      'responseTrailerFilter',
    ]);
    expect(raw).toContain('X-Upstream-Filter: 1\r\n');
    expect(raw).toContain('X-Response-Filter: 1\r\n');
    expect(raw).toContain('4\r\nbody\r\n0\r\nX-Checksum: abc123\r\nX-Proxy-Trailer: yes\r\n\r\n');
  });

  it('answers a failing asynchronous responseFilter with 500', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy<null>({
      ...toOrigin(origin.address),
      responseFilter: async () => {
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('filter broke');
      },
    });
    const res = await request(p.port, '/hello');
    expect(res.status).toBe(500);
  });

  it('answers HEAD with the headers and no body, and keeps the connection usable', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(
        p.port,
        'HEAD /size/1000?cl HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      )
    ).toString('latin1');
    const responses = raw.split('HTTP/1.1 200 OK');
    expect(responses.length).toBe(3);
    expect(responses[1]).toContain('Content-Length: 1000');
    expect(responses[1]).not.toContain('abcdef');
    expect(responses[2]).toContain('\r\n11\r\nhello from origin\r\n0\r\n\r\n');
  });

  it('adds Host (the upstream address) for an HTTP/1.0 client that sent none', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (await rawExchange(p.port, 'GET /echo HTTP/1.0\r\n\r\n')).toString('latin1');
    expect(raw.startsWith('HTTP/1.0 200') || raw.startsWith('HTTP/1.1 200')).toBe(true);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body.rawHeaders.slice(0, 2)).toEqual(['Host', origin.address]);
  });

  it('answers Expect: 100-continue itself and streams the body up', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const res = await request(p.port, '/echo', {
      method: 'PUT',
      headers: { Expect: '100-continue', 'Content-Length': '5' },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    const echoed = JSON.parse(res.body.toString());
    expect(echoed.bytes).toBe(5);
    expect(echoed.rawHeaders.map((h: string) => h.toLowerCase())).not.toContain('expect');
  });
});

describe('request targets', () => {
  it('sends an absolute-form target upstream in origin-form with Host from its authority', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(
        p.port,
        'GET http://user@example.test:8080/echo?x=1 HTTP/1.1\r\nHost: ignored.test\r\nConnection: close\r\n\r\n',
      )
    ).toString('latin1');
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body.url).toBe('/echo?x=1');
    expect(body.rawHeaders.slice(0, 2)).toEqual(['Host', 'example.test:8080']);
  });
});

describe('bad request bodies', () => {
  it('answers 400 when the chunked request body turns out malformed, and closes the upstream', async () => {
    await using origin = await startOrigin((req, res) => {
      req.resume();
      req.on('end', () => res.end('unreachable'));
    });
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(
        p.port,
        'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n',
      )
    ).toString('latin1');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(p.errors[0]?.err).toMatch(/Downstream/);
    expect(p.connector.idleCount).toBe(0);
  });
});
