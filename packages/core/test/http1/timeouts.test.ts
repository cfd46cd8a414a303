/**
 * Every wait of a server session has a deadline: a slowloris client that
 * trickles its head gets 408 and is closed, an idle kept-alive connection is
 * closed quietly, a stalled request body fails the read (answered 408), and a
 * client that never reads its response is dropped after the write timeout.
 * Margins are wide: the machine running the suite may be loaded.
 */
import { ErrorType } from '@pingora-ts/error';
import { ResponseHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/apps/http-app.ts';
import { ServeHttpApp } from '../../src/apps/serve-http.ts';
import { echoHandler, startApp, startServer, type TestServer } from './utils/h1-server.ts';
import { countResponses, RawClient } from './utils/raw-client.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('timeouts', () => {
  it('answers a slowloris head with 408 and closes', async () => {
    server = await startServer(echoHandler, { headerTimeoutMs: 600 });
    await using c = await RawClient.connect(server.port);
    const head = `GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ${'z'.repeat(200)}`;
    const started = Date.now();
    for (let i = 0; i < head.length && !c.closed; i++) {
      c.write(head[i]!);
      await new Promise((r) => setTimeout(r, 20));
    }
    await c.waitClosed(5_000);
    const elapsed = Date.now() - started;
    expect(c.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(c.text).toContain('Connection: close');
    expect(elapsed).toBeGreaterThanOrEqual(300); // armed at accept, a little before `started`
    expect(elapsed).toBeLessThan(4_000);
    expect(server.refusals[0]?.type).toBe(ErrorType.ReadTimedout);
  });

  it('closes an idle kept-alive connection without a response', async () => {
    server = await startServer(echoHandler, { keepaliveTimeoutMs: 300 });
    await using c = await RawClient.connect(server.port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitFor((t) => t.endsWith('GET / 0'));
    const started = Date.now();
    await c.waitClosed(5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // armed when the response was sent
    expect(countResponses(c.text)).toBe(1);
    expect(server.refusals).toEqual([]);
  });

  it('fails a stalled request body and answers 408', async () => {
    const app = new HttpServer(
      new ServeHttpApp(async (s) => {
        while ((await s.readBodyChunk()) !== null) {}
        return { header: ResponseHeader.build(200), body: 'never' };
      }),
      { h1: { bodyTimeoutMs: 400 } },
    );
    server = await startApp(app);
    await using c = await RawClient.connect(server.port);
    c.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
    await c.waitClosed(5_000);
    expect(c.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.text).not.toContain('never');
  });

  it('drops a client that does not read its response', async () => {
    let failure: unknown;
    server = await startServer(
      async (s) => {
        s.writeResponseHeader(ResponseHeader.build(200));
        const chunk = Buffer.alloc(256 * 1024, 0x61);
        try {
          for (let i = 0; i < 4096; i++) {
            if (!s.writeBody(chunk)) await new Promise<void>((r) => s.onDrain(r));
          }
        } catch (err) {
          failure = err;
          throw err;
        }
      },
      { writeTimeoutMs: 500 },
    );
    await using c = await RawClient.connect(server.port);
    c.socket.pause();
    c.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    const until = Date.now() + 10_000;
    while (failure === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect((failure as { type?: string } | undefined)?.type).toBe(ErrorType.WriteTimedout);
    expect(server.sessions[0]!.closed).toBe(true);
  });
});
