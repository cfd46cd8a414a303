/**
 * HttpServer (the HttpServerApp adapter) under the real ListeningService and
 * Server: keep-alive request loop, failures of the app turned into statuses,
 * and graceful shutdown (idle keep-alive connections close at once, the
 * request in flight finishes with Connection: close).
 */
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { ResponseHeader } from '@pingora-ts/http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer, type HttpServerApp, statusForError } from '../../src/apps/http-app.ts';
import { responseHead, ServeHttpApp, serveHttp } from '../../src/apps/serve-http.ts';
import { Server } from '../../src/server/server.ts';
import type { RunningServer } from '../../src/server/server-run.ts';
import { ListeningService } from '../../src/services/listening-service.ts';
import { countResponses, RawClient } from './utils/raw-client.ts';

const quietLogger = pino({ level: 'silent' });
const runs: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.shutdown({ graceful: false })));
});

async function listen(app: HttpServer): Promise<{ port: number; running: RunningServer }> {
  const service = new ListeningService('http', app).addTcp('127.0.0.1:0');
  const server = new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds: 5, gracefulShutdownTimeoutSeconds: 0.2 },
  });
  server.addService(service);
  const running = server.run();
  runs.push(running);
  const [addr] = await service.listening;
  if (addr?.kind !== 'inet') throw new Error('no inet address');
  return { port: addr.port, running };
}

describe('HttpServer', () => {
  it('serves a keep-alive connection through a ListeningService', async () => {
    const { port } = await listen(
      serveHttp((s) => ({ header: responseHead(200), body: `hello ${s.requestHeader?.path}` })),
    );
    await using c = await RawClient.connect(port);
    c.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitFor((t) => t.endsWith('hello /b'));
    expect(countResponses(c.text)).toBe(2);
    expect(c.text).toContain('Content-Length: 8\r\n');
    expect(c.closed).toBe(false);
  });

  it('answers 3,000 pipelined requests in order without deepening the stack', async () => {
    const { port } = await listen(
      serveHttp((s) => ({
        header: responseHead(200),
        body: `#${s.requestHeader?.path.slice(1)};`,
      })),
    );
    await using c = await RawClient.connect(port);
    const n = 3_000;
    let wire = '';
    for (let i = 0; i < n; i++) wire += `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    c.write(wire);
    await c.waitFor((t) => t.endsWith(`#${n - 1};`), 10_000);
    const order = [...c.text.matchAll(/#(\d+);/g)].map((m) => Number(m[1]));
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(c.closed).toBe(false);
  });

  it('answers 500 and closes when a synchronous app throws', async () => {
    const { port } = await listen(
      serveHttp(() => {
        throw new Error('sync boom');
      }),
    );
    await using c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitClosed();
    expect(countResponses(c.text)).toBe(1);
    expect(c.text).toMatch(/^HTTP\/1\.1 500 /);
  });

  it('turns app failures into statuses and closes', async () => {
    const app = serveHttp(async (s) => {
      const path = s.requestHeader?.path;
      if (path === '/throw') throw new Error('boom');
      if (path === '/forbid') throw PingoraError.httpStatus(403, 'no');
      if (path === '/silent') return undefined;
      return { header: responseHead(200), body: 'ok' };
    });
    const { port } = await listen(app);
    for (const [path, status] of [
      ['/throw', 500],
      ['/forbid', 403],
      ['/silent', 500],
    ] as const) {
      await using c = await RawClient.connect(port);
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await c.waitClosed();
      expect(c.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(c.text).toContain('Connection: close\r\n');
    }
  });

  it('serves through serveHttp when the app has it: done told later, now, or as a failure', async () => {
    const calls: string[] = [];
    const app: HttpServerApp = {
      processNewHttp() {
        throw new Error('processNewHttp is not used when serveHttp exists');
      },
      serveHttp(s, _shutdown, done) {
        const path = s.requestHeader?.path ?? '';
        calls.push(path);
        if (path === '/fail') {
          setImmediate(() => done.appFailed(PingoraError.httpStatus(403, 'no')));
          return;
        }
        const body = Buffer.from(`hello ${path}`);
        const resp = responseHead(200);
        resp.insertHeader('Content-Length', body.length);
        s.writeResponseHeader(resp);
        s.writeBody(body);
        if (path === '/now') done.appDone();
        else setImmediate(() => done.appDone());
      },
    };
    const { port } = await listen(new HttpServer(app, { logger: quietLogger }));
    await using c = await RawClient.connect(port);
    c.write('GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitFor((t) => t.endsWith('hello /now'));
    expect(countResponses(c.text)).toBe(2);
    c.write('GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitClosed();
    expect(countResponses(c.text)).toBe(3);
    expect(c.text.slice(c.text.lastIndexOf('HTTP/1.1 '))).toMatch(/^HTTP\/1\.1 403 /);
    expect(calls).toEqual(['/later', '/now', '/fail']);
  });

  it('closes idle keep-alive connections on shutdown and finishes the request in flight', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = new HttpServer(
      new ServeHttpApp(async (s) => {
        if (s.requestHeader?.path === '/slow') await gate;
        const header = ResponseHeader.build(200);
        return { header, body: 'done' };
      }),
    );
    const { port, running } = await listen(app);
    await using idle = await RawClient.connect(port);
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.waitFor((t) => t.endsWith('done'));
    await using busy = await RawClient.connect(port);
    busy.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const stopping = running.shutdown({ graceful: true });
    await idle.waitClosed(3_000);
    expect(busy.closed).toBe(false);
    release();
    await busy.waitClosed(5_000);
    expect(busy.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(busy.text).toContain('Connection: close\r\n');
    expect(busy.text.endsWith('done')).toBe(true);
    await stopping;
  });

  it('maps errors to statuses', () => {
    expect(statusForError(PingoraError.httpStatus(429))).toBe(429);
    expect(
      statusForError(PingoraError.create(ErrorType.InvalidHTTPHeader, ErrorSource.Downstream)),
    ).toBe(400);
    expect(
      statusForError(PingoraError.create(ErrorType.ReadTimedout, ErrorSource.Downstream)),
    ).toBe(408);
    expect(statusForError(PingoraError.create(ErrorType.ReadTimedout, ErrorSource.Upstream))).toBe(
      500,
    );
  });

  it('logs clients that go away mid-response at debug, not as app failures', async () => {
    const levels: string[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write(line: string) {
          levels.push(String(JSON.parse(line).level));
        },
      },
    );
    const app = new HttpServer(
      {
        async processNewHttp(s) {
          const head = ResponseHeader.build(200);
          s.writeResponseHeader(head);
          for (let i = 0; i < 200; i++) {
            s.writeBody(Buffer.alloc(1024, 'x'));
            await new Promise((r) => setTimeout(r, 5));
          }
        },
      },
      { logger },
    );
    const { port } = await listen(app);
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.connect(port);
      c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await c.waitFor((t) => t.includes('xxxx'));
      await c[Symbol.asyncDispose]();
    }
    for (let i = 0; i < 100 && levels.length < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(levels.filter((l) => l === '20').length).toBe(20);
    expect(levels.filter((l) => Number(l) >= 50)).toEqual([]);
  });

  it('logs an app failure with the error kind, context and the stack of what was thrown', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const app = serveHttp(
      () => {
        throw new RangeError('handler bug');
      },
      { logger },
    );
    const { port } = await listen(app);
    await using c = await RawClient.connect(port);
    c.write('GET /boom HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitFor((t) => t.includes('500'));
    for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const line = lines.find((l) => l.msg === 'HTTP app failed') as { err: Record<string, unknown> };
    expect(line).toMatchObject({ level: 50, request: 'GET /boom, Host: a' });
    expect(line.err.type).toBe('PingoraError');
    expect(line.err.message).toMatch(/handler bug/);
    // pino's err serializer walks the cause: the RangeError's stack is in the line.
    expect(String(line.err.stack)).toMatch(/RangeError: handler bug\n\s+at /);
  });
});
