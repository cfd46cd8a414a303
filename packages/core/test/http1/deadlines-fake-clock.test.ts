/**
 * Every wait of a server session has a deadline, checked on a ManualClock:
 * the shared deadline wheel is swapped for one whose time moves only when the
 * test says, so each timeout (header incl. slowloris, keep-alive idle, body,
 * write) is shown not to fire before it has passed and to fire once it has,
 * over real sockets and without sleeping for the timeout.
 */
import { ErrorType } from '@pingora-ts/error';
import { ResponseHeader } from '@pingora-ts/http';
import { ManualClock, TimerWheel } from '@pingora-ts/timeout';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/apps/http-app.ts';
import { ServeHttpApp } from '../../src/apps/serve-http.ts';
import { useDeadlineWheel } from '../../src/protocols/http/deadline-ticker.ts';
import { echoHandler, startApp, startServer, type TestServer } from './utils/h1-server.ts';
import { countResponses, RawClient } from './utils/raw-client.ts';

const TICK = 10;
let clock: ManualClock;
let wheel: TimerWheel;
let restore: () => void;
let server: TestServer | undefined;

beforeEach(() => {
  clock = new ManualClock(1_000);
  wheel = new TimerWheel({ clock, resolutionMs: TICK });
  restore = useDeadlineWheel(wheel);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  restore();
});

/** Lets pending socket events run (I/O, not time: the clock does not move). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('session deadlines on a fake clock', () => {
  it('a trickled head gets 408 once the header timeout has passed, not before', async () => {
    server = await startServer(echoHandler, { headerTimeoutMs: 600 });
    await using c = await RawClient.connect(server.port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: zzz');
    await c.waitFor(() => server?.sessions.length === 1);
    await settle();
    clock.advance(599);
    await settle();
    expect(c.closed).toBe(false);
    expect(c.text).toBe('');
    clock.advance(1 + TICK);
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(server.refusals[0]?.type).toBe(ErrorType.ReadTimedout);
  });

  it('trickled bytes do not push the header deadline out (slowloris)', async () => {
    server = await startServer(echoHandler, { headerTimeoutMs: 600 });
    await using c = await RawClient.connect(server.port);
    await c.waitFor(() => server?.sessions.length === 1);
    // A byte every 100 ms of clock: the head never completes, the deadline set at accept holds.
    for (const piece of ['GET / HT', 'TP/1.1\r\n', 'Host: a\r\n', 'X-Slow: z']) {
      c.write(piece);
      await settle();
      clock.advance(100);
      await settle();
      expect(c.closed).toBe(false);
    }
    clock.advance(200 + TICK);
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(c.text).toContain('Connection: close');
  });

  it('a connection the client closes leaves the wheel at once, not when its keep-alive deadline comes due', async () => {
    server = await startServer(echoHandler, { keepaliveTimeoutMs: 60_000 });
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(server?.port ?? 0)));
    for (const c of clients) c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    for (const c of clients) await c.waitFor((t) => t.endsWith('GET / 0'));
    await settle();
    expect(wheel.filed).toBe(3); // three idle keep-alive deadlines, a minute away
    for (const c of clients) await c[Symbol.asyncDispose]();
    await settle();
    // Nothing keeps the closed sessions reachable until the minute has passed.
    expect(wheel.filed).toBe(0);
  });

  it('an idle kept-alive connection closes after the keepalive timeout without a response', async () => {
    server = await startServer(echoHandler, { keepaliveTimeoutMs: 300 });
    await using c = await RawClient.connect(server.port);
    c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.waitFor((t) => t.endsWith('GET / 0'));
    await settle();
    clock.advance(299);
    await settle();
    expect(c.closed).toBe(false);
    clock.advance(1 + TICK);
    await c.waitClosed();
    expect(countResponses(c.text)).toBe(1);
    expect(server.refusals).toEqual([]);
  });

  it('a stalled request body fails with 408 after the body timeout; each chunk re-arms it', async () => {
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
    await settle();
    clock.advance(300);
    c.write('de'); // re-arms the body deadline 400 ms from now
    await settle();
    clock.advance(399);
    await settle();
    expect(c.closed).toBe(false);
    clock.advance(1 + TICK);
    await c.waitClosed();
    expect(c.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.text).not.toContain('never');
  });

  it('drops a client that does not read its response once the write timeout has passed', async () => {
    let failure: unknown;
    let blocked = false;
    server = await startServer(
      async (s) => {
        s.writeResponseHeader(ResponseHeader.build(200));
        const chunk = Buffer.alloc(256 * 1024, 0x61);
        try {
          for (let i = 0; i < 4096; i++) {
            if (!s.writeBody(chunk)) {
              blocked = true;
              await new Promise<void>((r) => s.onDrain(r));
            }
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
    // Bounded: the socket buffers fill within a few MiB.
    for (let i = 0; i < 500 && !blocked; i++) await new Promise((r) => setTimeout(r, 10));
    expect(blocked).toBe(true);
    await settle();
    clock.advance(499);
    await settle();
    expect(failure).toBeUndefined();
    clock.advance(1 + TICK);
    await settle();
    expect((failure as { type?: string } | undefined)?.type).toBe(ErrorType.WriteTimedout);
    expect(server.sessions[0]!.closed).toBe(true);
  });
});
