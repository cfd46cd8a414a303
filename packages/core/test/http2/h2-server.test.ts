/**
 * Downstream HTTP/2 through HttpServer under a real ListeningService: h2c
 * prior knowledge beside HTTP/1 on one port, streams multiplexed through the
 * app, request bodies and trailers, 1xx, HEAD/204 framing, limits (max
 * concurrent streams as a SETTING), errors after the head reset the stream,
 * and graceful shutdown with GOAWAY while a stream finishes.
 */
import { once } from 'node:events';
import type { ServerHttp2Stream } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { HeaderList, ResponseHeader } from '@pingora-ts/http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { H2Client } from '../../../../tooling/test-h2-client.ts';
import { HttpServer, type HttpServerApp, type HttpServerOptions } from '../../src/apps/http-app.ts';
import { responseHead, serveHttp } from '../../src/apps/serve-http.ts';
import type { HttpServerSession } from '../../src/protocols/http/server-session.ts';
import { Server } from '../../src/server/server.ts';
import type { RunningServer } from '../../src/server/server-run.ts';
import { ListeningService } from '../../src/services/listening-service.ts';

const quietLogger = pino({ level: process.env.LOGLEVEL ?? 'silent' });
const runs: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
});

async function listen(app: HttpServerApp, options: HttpServerOptions = {}) {
  const service = new ListeningService(
    'http',
    new HttpServer(app, { h2c: true, logger: quietLogger, ...options }),
  );
  service.addTcp('127.0.0.1:0');
  const server = new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds: 5, gracefulShutdownTimeoutSeconds: 2 },
  });
  server.addService(service);
  const running = server.run();
  runs.push(running);
  const [addr] = await service.listening;
  if (addr?.kind !== 'inet') throw new Error('no inet address');
  return { port: addr.port, running };
}

function app(fn: (s: HttpServerSession) => Promise<void> | void): HttpServerApp {
  return { processNewHttp: (s) => fn(s) };
}

describe('downstream HTTP/2 (h2c)', () => {
  it('serves h2c prior knowledge and HTTP/1 on the same port', async () => {
    const { port } = await listen(
      serveHttp((s) => ({
        header: responseHead(200, { 'x-proto': s.protocol }),
        body: `${s.requestHeader?.method} ${s.requestHeader?.path} ${s.requestHeader?.getHeader('host')}`,
      })).app,
    );
    await using c = await H2Client.connect(port);
    const r = await c.request({ ':path': '/a?q=1', ':authority': 'example.test' });
    expect(r.status).toBe(200);
    expect(r.headers['x-proto']).toBe('HTTP/2');
    expect(r.headers.date).toBeDefined();
    expect(r.body.toString()).toBe('GET /a example.test');

    const sock = netConnect(port, '127.0.0.1');
    sock.write('GET /h1 HTTP/1.1\r\nHost: one\r\nConnection: close\r\n\r\n');
    let text = '';
    sock.on('data', (d) => {
      text += d.toString();
    });
    await once(sock, 'close');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('x-proto: HTTP/1.1');
    expect(text.endsWith('GET /h1 one')).toBe(true);
  });

  it('multiplexes streams and streams request bodies with trailers both ways', async () => {
    const { port } = await listen(
      app(async (s) => {
        const parts: Buffer[] = [];
        for (let c = await s.readBodyChunk(); c !== null; c = await s.readBodyChunk())
          parts.push(c);
        const body = Buffer.concat(parts);
        s.writeResponseHeader(ResponseHeader.build(200));
        s.writeBody(Buffer.from(`${s.requestHeader?.getHeader('transfer-encoding')}:`));
        s.writeBody(body);
        const trailers = new HeaderList();
        trailers.appendHeader('x-len', String(body.length));
        await s.finishResponse(trailers);
      }),
    );
    await using c = await H2Client.connect(port);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.request({ ':method': 'POST', ':path': `/${i}` }, ['ab', `c${i}`], { 'x-t': 'v' }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`chunked:abc${i}`);
      expect(r.trailers?.['x-len']).toBe(String(3 + String(i).length));
    });
  });

  it('ends a response written in one tick with its DATA (no trailers round trip), and still sends trailers when given', async () => {
    /** 'wantTrailers' events per path: node:http2 asking for trailers after the last DATA. */
    const asked = new Map<string, number>();
    const { port } = await listen(
      app(async (s) => {
        const path = s.requestHeader?.path ?? '';
        (s as unknown as { stream: ServerHttp2Stream }).stream.on('wantTrailers', () =>
          asked.set(path, (asked.get(path) ?? 0) + 1),
        );
        s.writeResponseHeader(ResponseHeader.build(200));
        if (path === '/later') await new Promise((r) => setTimeout(r, 5));
        s.writeBody(Buffer.from('one'));
        if (path === '/trailers') {
          const t = new HeaderList();
          t.appendHeader('x-t', 'v');
          s.endResponse(t);
        } else {
          s.endResponse();
        }
      }),
    );
    await using c = await H2Client.connect(port);
    const whole = await c.request({ ':path': '/whole' });
    expect(whole.body.toString()).toBe('one');
    expect(whole.trailers).toBeUndefined();
    const later = await c.request({ ':path': '/later' });
    expect(later.body.toString()).toBe('one');
    const withTrailers = await c.request({ ':path': '/trailers' });
    expect(withTrailers.body.toString()).toBe('one');
    expect(withTrailers.trailers?.['x-t']).toBe('v');
    expect(asked.get('/whole')).toBeUndefined();
    expect(asked.get('/trailers')).toBe(1);
  });

  it('forwards 1xx, ends HEAD and 204 with the head, and advertises the stream limit', async () => {
    const { port } = await listen(
      app((s) => {
        s.writeResponseHeader(ResponseHeader.build(103).appendHeader('link', '</a>; rel=preload'));
        const status = s.requestHeader?.path === '/204' ? 204 : 200;
        s.writeResponseHeader(ResponseHeader.build(status).appendHeader('content-length', '5'));
        if (status === 200) s.writeBody(Buffer.from('hello'));
        s.endResponse();
      }),
      { h2: { maxConcurrentStreams: 7 } },
    );
    await using c = await H2Client.connect(port);
    const get = await c.request({});
    expect(get.informational).toEqual([103]);
    expect(get.body.toString()).toBe('hello');
    const head = await c.request({ ':method': 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const noContent = await c.request({ ':path': '/204' });
    expect(noContent.status).toBe(204);
    expect(c.session.remoteSettings.maxConcurrentStreams).toBe(7);
  });

  it('resets the stream when the app fails after the head, and the connection lives on', async () => {
    const { port } = await listen(
      app(async (s) => {
        if (s.requestHeader?.path === '/ok') {
          s.writeResponse(
            ResponseHeader.build(200).appendHeader('content-length', '2'),
            Buffer.from('ok'),
          );
          return;
        }
        s.writeResponseHeader(ResponseHeader.build(200));
        s.writeBody(Buffer.from('partial'));
        throw new Error('boom');
      }),
    );
    await using c = await H2Client.connect(port);
    await expect(c.request({ ':path': '/fail' })).rejects.toThrow();
    const ok = await c.request({ ':path': '/ok' });
    expect(ok.body.toString()).toBe('ok');
  });

  it('answers 500 when the app fails before the head', async () => {
    const { port } = await listen(
      app(() => {
        throw new Error('early');
      }),
    );
    await using c = await H2Client.connect(port);
    expect((await c.request({})).status).toBe(500);
  });

  it('graceful shutdown sends GOAWAY and lets the open stream finish', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    const { port, running } = await listen(
      app(async (s) => {
        started();
        await gate;
        s.writeResponse(
          ResponseHeader.build(200).appendHeader('content-length', '4'),
          Buffer.from('done'),
        );
      }),
    );
    const c = await H2Client.connect(port);
    const goaway = once(c.session, 'goaway');
    const pending = c.request({});
    await inFlight;
    const stopping = running.shutdown({ graceful: true });
    const [code] = await goaway;
    expect(code).toBe(0);
    release();
    const r = await pending;
    expect(r.body.toString()).toBe('done');
    const began = Date.now();
    await stopping;
    // The connection closed once its stream finished, not at the grace time.
    expect(Date.now() - began).toBeLessThan(1500);
    await c[Symbol.asyncDispose]();
  });

  it('an h1 POST split after its first byte is still HTTP/1 on an h2c port; shutdown does not wait for a silent client', async () => {
    const { port, running } = await listen(
      serveHttp((s) => ({
        header: responseHead(200),
        body: `${s.protocol} ${s.requestHeader?.method}`,
      })).app,
    );
    const sock = netConnect(port, '127.0.0.1');
    let text = '';
    sock.on('data', (d) => {
      text += d.toString();
    });
    sock.write('P');
    await new Promise((r) => setTimeout(r, 30));
    sock.write('OST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    await once(sock, 'close');
    expect(text.endsWith('HTTP/1.1 POST')).toBe(true);
    const silent = netConnect(port, '127.0.0.1');
    await once(silent, 'connect');
    const began = Date.now();
    await running.shutdown({ graceful: true });
    expect(Date.now() - began).toBeLessThan(1500);
    silent.destroy();
  });

  it('refuses CONNECT with 501, closes an idle connection, and refuses an oversized header list', async () => {
    const { port } = await listen(
      serveHttp(() => ({ header: responseHead(200), body: 'ok' })).app,
      {
        h2: { idleTimeoutMs: 200, maxHeaderListSize: 4096 },
      },
    );
    const c = await H2Client.connect(port);
    const connect = c.session.request({ ':method': 'CONNECT', ':authority': 'example.test:443' });
    const [head] = (await once(connect, 'response')) as [Record<string, unknown>];
    expect(head[':status']).toBe(501);
    await expect(c.request({ 'x-big': 'a'.repeat(8000) })).rejects.toThrow();
    c.session.destroy();
    const idle = await H2Client.connect(port);
    expect((await idle.request({})).body.toString()).toBe('ok');
    const began = Date.now();
    const [code] = (await once(idle.session, 'goaway')) as [number];
    expect(code).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
    expect(Date.now() - began).toBeLessThan(2000);
    idle.session.destroy();
  });
});
