/**
 * Logs that stay useful under load, read from a real pino logger's output:
 * 1,000 clients going away mid-request or mid-response give no error-level
 * line (debug lines and the client-abort counter event instead), and
 * identical upstream errors are logged once per window with their count.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createServerLogger,
  DEFAULT_SERVER_CONF,
  HttpConnector,
  HttpPeer,
  HttpServer,
} from '@pingora-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpProxy, type HttpProxyOptions } from '../src/http-proxy.ts';
import { type ClientAbortEvent, clientAbortChannel } from '../src/proxy-events.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { request } from './utils/client.ts';
import { startOrigin } from './utils/origin.ts';
import { serveApp } from './utils/proxy-harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A pino logger (the server's, at debug) writing JSON lines to a temp file, and a reader of them. */
function capturedLogger() {
  const dir = mkdtempSync(join(tmpdir(), 'quiet-logs-'));
  dirs.push(dir);
  const path = join(dir, 'error.log');
  const logger = createServerLogger({ ...DEFAULT_SERVER_CONF, errorLog: path }, { level: 'debug' });
  const lines = (): Array<{ level: number; msg: string } & Record<string, unknown>> => {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  };
  return { logger, lines };
}

async function startLoggedProxy(
  inner: ProxyHttp<null>,
  logger: ReturnType<typeof createServerLogger>,
  options: Partial<HttpProxyOptions> = {},
) {
  const connector = new HttpConnector();
  const proxy = new HttpProxy(inner, { connector, logger, ...options });
  const served = await serveApp(new HttpServer(proxy, { logger }));
  return {
    port: served.port,
    async [Symbol.asyncDispose]() {
      connector.close();
      await served[Symbol.asyncDispose]();
    },
  };
}

/** Runs `task(i)` for i in [0, n) with at most `width` in flight. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

describe('quiet logs', () => {
  it('1,000 client aborts produce no error-level line, only debug lines and counter events', async () => {
    const arrived = new Map<string, () => void>();
    const trickles = new Set<NodeJS.Timeout>();
    await using origin = await startOrigin((req, res: ServerResponse) => {
      const url = req.url ?? '';
      if (url.startsWith('/upload')) {
        // Reads the body and never answers before it ends (the client aborts first).
        req.resume();
        arrived.get(url)?.();
        req.on('end', () => res.end('done'));
        return;
      }
      // /trickle: a body of 1 KiB pieces every 10 ms, so the proxy keeps writing.
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      let left = 200;
      const timer = setInterval(() => {
        if (left-- === 0 || res.destroyed) {
          clearInterval(timer);
          trickles.delete(timer);
          res.end();
          return;
        }
        res.write(Buffer.alloc(1024, 'x'));
      }, 10);
      trickles.add(timer);
    });
    const { logger, lines } = capturedLogger();
    await using p = await startLoggedProxy(
      { newCtx: () => null, upstreamPeer: () => new HttpPeer(origin.address) },
      logger,
    );
    const aborts: ClientAbortEvent[] = [];
    const onAbort = (m: unknown) => aborts.push(m as ClientAbortEvent);
    subscribe(clientAbortChannel.name, onAbort);
    try {
      await pool(1000, 25, async (i) => {
        const socket = connect(p.port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        if (i % 2 === 0) {
          // Mid-request: part of a body, then gone once the origin has the request.
          const url = `/upload/${i}`;
          const seen = new Promise<void>((resolve) => arrived.set(url, resolve));
          socket.write(`POST ${url} HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n`);
          socket.write(Buffer.alloc(1000, 'b'));
          await seen;
          arrived.delete(url);
        } else {
          // Mid-response: gone after the first bytes of the response.
          socket.write(`GET /trickle/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
          await once(socket, 'data');
        }
        socket.destroy();
      });
      // The proxy notices each abort at its next read or write: within a few ticks.
      for (let i = 0; i < 200 && aborts.length < 1000; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      unsubscribe(clientAbortChannel.name, onAbort);
      for (const t of trickles) clearInterval(t);
    }
    expect(aborts.length).toBe(1000);
    expect(aborts.filter((a) => a.phase === 'request').length).toBe(500);
    expect(aborts.filter((a) => a.phase === 'response').length).toBe(500);
    const logged = lines();
    const errors = logged.filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
    expect(logged.filter((l) => l.level === 20 && l.msg === 'client went away').length).toBe(1000);
  });

  it('a client gone before the response head arrives is a client abort, not an internal error', async () => {
    const held: ServerResponse[] = [];
    const arrived = new Set<string>();
    await using origin = await startOrigin((req, res: ServerResponse) => {
      // Holds every answer until the test releases it (after its client is gone).
      arrived.add(req.url ?? '');
      held.push(res);
    });
    const { logger, lines } = capturedLogger();
    await using p = await startLoggedProxy(
      { newCtx: () => null, upstreamPeer: () => new HttpPeer(origin.address) },
      logger,
    );
    const aborts: ClientAbortEvent[] = [];
    const onAbort = (m: unknown) => aborts.push(m as ClientAbortEvent);
    subscribe(clientAbortChannel.name, onAbort);
    try {
      const n = 50;
      await pool(n, 10, async (i) => {
        const socket = connect(p.port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(`GET /held/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
        for (let t = 0; t < 400 && !arrived.has(`/held/${i}`); t++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        socket.destroy();
      });
      expect(arrived.size).toBe(n);
      // Let the proxy see every close, then let the origin answer all of them.
      await new Promise((r) => setTimeout(r, 100));
      for (const res of held) res.end('late answer');
      for (let i = 0; i < 200 && aborts.length < n; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(aborts.length).toBe(n);
    } finally {
      unsubscribe(clientAbortChannel.name, onAbort);
    }
    const errors = lines().filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });

  it('logs identical upstream errors once per window, then with the count it stands for', async () => {
    const dead = await startOrigin();
    const address = dead.address;
    await dead.close();
    let now = 5_000_000;
    const { logger, lines } = capturedLogger();
    await using p = await startLoggedProxy(
      { newCtx: () => null, upstreamPeer: () => new HttpPeer(address) },
      logger,
      { errorLogLimit: { intervalMs: 60_000, now: () => now } },
    );
    for (let i = 0; i < 50; i++) expect((await request(p.port, '/')).status).toBe(502);
    let failures = lines().filter((l) => l.msg === 'fail to proxy');
    expect(failures.length).toBe(1);
    expect((failures[0]?.err as { message?: string } | undefined)?.message).toMatch(
      /ConnectRefused/,
    );
    now += 60_000;
    expect((await request(p.port, '/')).status).toBe(502);
    failures = lines().filter((l) => l.msg === 'fail to proxy');
    expect(failures.length).toBe(2);
    expect(failures[1]?.repeated).toBe(49);
  });

  it('reports the count of an error that stopped recurring with the next upstream error', async () => {
    const dead = await startOrigin();
    const deadAddress = dead.address;
    await dead.close();
    await using hung = await startOrigin((_req, _res) => {});
    let now = 5_000_000;
    let target = deadAddress;
    const { logger, lines } = capturedLogger();
    await using p = await startLoggedProxy(
      {
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(target, { options: { readTimeout: 150 } }),
      },
      logger,
      { errorLogLimit: { intervalMs: 60_000, now: () => now } },
    );
    for (let i = 0; i < 5; i++) await request(p.port, '/');
    now += 60_000;
    target = hung.address;
    expect((await request(p.port, '/')).status).toBe(504);
    const logged = lines();
    const summary = logged.find((l) => l.msg === 'identical upstream errors not logged');
    expect(summary?.suppressed).toBe(4);
    expect(summary?.err).toMatch(/ConnectRefused/);
    expect(logged.filter((l) => l.msg === 'fail to proxy').length).toBe(2);
  });
});
