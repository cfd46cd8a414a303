/**
 * HTTP/2 through the proxy in all four directions (h1/h2 downstream x
 * h1/h2 upstream) with no h2 branch in the ProxyHttp phases: Host <->
 * :authority, bodies with and without length, trailers (h2->h2, and to an
 * h1 client only when it sent TE: trailers), HEAD/204 framing, 100
 * concurrent requests on one upstream connection, client cancel reaching
 * the upstream as RST_STREAM, gRPC-style errors, and curl --http2-prior-knowledge.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { ALPN, HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { H2Client } from '../../../tooling/test-h2-client.ts';
import { getHeaders, rawH2, rstCancel } from '../../../tooling/test-h2-frames.ts';
import { startH2Origin } from '../../../tooling/test-h2-origin.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { startProxy } from './utils/proxy-harness.ts';

function toPeer(port: number, h2: boolean, maxH2Streams = 100): ProxyHttp<null> {
  return {
    newCtx: () => null,
    upstreamPeer: () =>
      new HttpPeer(`127.0.0.1:${port}`, {
        options: h2 ? { alpn: ALPN.H2, maxH2Streams } : {},
      }),
  };
}

const h2c = { h2c: true };

describe('HTTP/2 through the proxy', () => {
  it('h2 client -> h1 origin: Host from :authority, chunked body upstream, response back', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toPeer(origin.port, false), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const get = await c.request({ ':path': '/hello', ':authority': 'site.test' });
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('hello from origin');
    const post = await c.request({ ':method': 'POST', ':path': '/echo' }, ['abc', 'def']);
    const seen = JSON.parse(post.body.toString());
    expect(seen.method).toBe('POST');
    const raw: string[] = seen.rawHeaders;
    expect(raw[raw.indexOf('host') + 1]).toBe(`127.0.0.1:${p.port}`);
    expect(raw).toContain('chunked');
    expect(origin.requests.at(-1)?.bodyBytes).toBe(6);
  });

  it('h2 client -> h2 origin: trailers both ways, te: trailers kept, one connection', async () => {
    let te: string | undefined;
    let reqTrailer: string | undefined;
    await using origin = await startH2Origin((stream, headers) => {
      te = headers.te as string | undefined;
      stream.on('trailers', (t) => {
        reqTrailer = t['x-req'] as string;
      });
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'x-meta-bin': 'AAEC' },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () =>
          stream.sendTrailers({
            'grpc-status': '0',
            'x-len': String(Buffer.concat(chunks).length),
          }),
        );
        stream.end(Buffer.concat(chunks));
      });
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    for (let i = 0; i < 3; i++) {
      const r = await c.request(
        { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' },
        ['12345', '678'],
        { 'x-req': 'r' },
      );
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('12345678');
      expect(r.headers['x-meta-bin']).toBe('AAEC');
      expect(r.trailers).toMatchObject({ 'grpc-status': '0', 'x-len': '8' });
    }
    expect(te).toBe('trailers');
    expect(reqTrailer).toBe('r');
    expect(origin.sessions).toBe(1);
  });

  it('h1 client -> h2 origin: chunked with trailers only when the client sent TE: trailers', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-sum': '42' }));
      stream.end('body');
    });
    await using p = await startProxy(toPeer(origin.port, true));
    const withTe = (
      await rawExchange(
        p.port,
        'GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n',
      )
    ).toString('latin1');
    expect(withTe).toMatch(/^HTTP\/1\.1 200/);
    expect(withTe.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(withTe).toContain('4\r\nbody\r\n0\r\nx-sum: 42\r\n\r\n');
    const without = (
      await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1');
    expect(without).toContain('4\r\nbody\r\n0\r\n\r\n');
    expect(without).not.toContain('x-sum');
  });

  it('HEAD and 204 end with the head in every direction', async () => {
    await using origin = await startH2Origin((stream, headers) => {
      if (headers[':path'] === '/204') {
        stream.respond({ ':status': 204 });
        stream.end();
        return;
      }
      stream.respond({ ':status': 200, 'content-length': '5' });
      stream.end(headers[':method'] === 'HEAD' ? undefined : 'hello');
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const head = await c.request({ ':method': 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    expect(head.body.length).toBe(0);
    expect((await c.request({ ':path': '/204' })).status).toBe(204);
    const h1head = (
      await rawExchange(p.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1');
    expect(h1head).toMatch(/^HTTP\/1\.1 200[\s\S]*content-length: 5\r\n[\s\S]*\r\n\r\n$/i);
  });

  it('forwards 103 Early Hints from an h2 origin to h2 and h1 clients', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.additionalHeaders({ ':status': 103, link: '</s.css>; rel=preload' });
      stream.respond({ ':status': 200, 'content-length': '2' });
      stream.end('ok');
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const r = await c.request({});
    expect(r.informational).toEqual([103]);
    expect(r.body.toString()).toBe('ok');
    const h1 = (
      await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    ).toString('latin1');
    expect(h1).toMatch(
      /^HTTP\/1\.1 103 [^\r]*\r\nlink: <\/s\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200/,
    );
  });

  it('streams a 16 MiB upload h2 -> h2 under flow control, and answers 100-continue', async () => {
    await using origin = await startH2Origin((stream) => {
      let n = 0;
      stream.on('data', (d: Buffer) => {
        n += d.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(String(n));
      });
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const piece = Buffer.alloc(1024 * 1024, 0x62);
    const r = await c.request(
      { ':method': 'PUT' },
      Array.from({ length: 16 }, () => piece),
    );
    expect(r.body.toString()).toBe(String(16 * 1024 * 1024));
    // Expect: 100-continue: the proxy's session answers 100 before the body is sent.
    const req = c.session.request({ ':method': 'POST', ':path': '/', expect: '100-continue' });
    const cont = new Promise<void>((resolve) => req.once('continue', () => resolve()));
    await cont;
    req.end('late body');
    const body = await new Promise<string>((resolve) => {
      let t = '';
      req.on('data', (d: Buffer) => {
        t += d;
      });
      req.on('end', () => resolve(t));
    });
    expect(body).toBe('9');
  });

  it('an early answer ends an h2 upload nobody reads: the stream closes, not stalls', async () => {
    await using origin = await startH2Origin((stream) => {
      stream.respond({ ':status': 413 }, { endStream: true });
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const req = c.session.request({ ':method': 'POST', ':path': '/' });
    req.on('error', () => {});
    req.write(Buffer.alloc(1024 * 1024));
    const [headers] = (await once(req, 'response')) as [Record<string, unknown>];
    expect(headers[':status']).toBe(413);
    req.resume();
    await once(req, 'close');
  });

  it('100 concurrent h2 requests use one upstream connection (maxH2Streams 100)', async () => {
    await using origin = await startH2Origin();
    await using p = await startProxy(toPeer(origin.port, true, 100), {}, h2c);
    await using c = await H2Client.connect(p.port);
    const all = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.request({ ':path': `/${i}` })),
    );
    all.forEach((r, i) => {
      expect(r.body.toString()).toBe(`GET /${i} `);
    });
    expect(origin.sessions).toBe(1);
  });

  it('a client cancel reaches the h2 upstream as RST_STREAM CANCEL', async () => {
    let upstreamCode: number | undefined;
    let closed: () => void = () => {};
    const upstreamClosed = new Promise<void>((r) => {
      closed = r;
    });
    await using origin = await startH2Origin((stream) => {
      stream.resume();
      stream.respond({ ':status': 200 });
      stream.write('first');
      stream.on('close', () => {
        upstreamCode = stream.rstCode;
        closed();
      });
    });
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    await using c = await H2Client.connect(p.port);
    // A gRPC-style call: the request body ended, the response streams on.
    const req = c.session.request({ ':path': '/', ':method': 'POST' });
    req.end('msg');
    req.on('error', () => {});
    await new Promise<void>((resolve) => req.once('data', () => resolve()));
    req.close(8);
    await upstreamClosed;
    expect(upstreamCode).toBe(8);
  });

  it('answers a gRPC request as gRPC when the upstream is down (status 14)', async () => {
    const dead = await startOrigin();
    const port = dead.port;
    await dead.close();
    await using p = await startProxy(toPeer(port, true), { maxRetries: 0 }, h2c);
    await using c = await H2Client.connect(p.port);
    const r = await c.request({ ':method': 'POST', 'content-type': 'application/grpc' }, 'x');
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('14');
    expect(String(r.headers['grpc-message'])).toContain('Connect');
  });

  it('20,000 HEADERS+RST_STREAM pairs open no upstream connection and end in GOAWAY', async () => {
    await using origin = await startH2Origin();
    await using p = await startProxy(toPeer(origin.port, true), {}, h2c);
    const c = await rawH2(p.port);
    const parts: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) parts.push(getHeaders(1 + 2 * i), rstCancel(1 + 2 * i));
    const before = process.memoryUsage().rss;
    c.socket.write(Buffer.concat(parts));
    const code = await c.goaway;
    expect(code).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(origin.sessions).toBe(0);
    expect(p.connector.stats.newConnections).toBe(0);
    // Memory stays flat: no per-stream state survives the flood.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    c.socket.destroy();
  });

  it('curl --http2-prior-knowledge through the proxy', async () => {
    await using origin = await startOrigin();
    await using p = await startProxy(toPeer(origin.port, false), {}, h2c);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'curl',
        ['-sS', '--http2-prior-knowledge', '-o', '-', '-w', '\n%{http_version}', `${p.url}/hello`],
        { timeout: 10_000 },
        (err, stdout) =>
          err
            ? reject(
                (err as { code?: unknown }).code === 'ENOENT'
                  ? new Error('curl is missing: apt-get install curl')
                  : err,
              )
            : resolve(stdout),
      );
    });
    expect(out).toBe('hello from origin\n2');
  });
});
