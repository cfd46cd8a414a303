/**
 * Every timeout key of the server YAML takes effect through
 * httpProxyService, as a sample app builds its proxy: each is set to a
 * short value and the fault that needs it is scripted by a test origin or
 * a raw client (the shared timer wheel fires within a tick).
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  type HttpConnector,
  HttpPeer,
  type HttpServer,
  type PeerOptionsInit,
  parseServerConf,
} from '@pingora-ts/core';
import { ErrorType, type PingoraError } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import { blackhole } from '../../core/test/connectors/utils/blackhole.ts';
import type { HttpProxy } from '../src/http-proxy.ts';
import { httpProxyService } from '../src/http-proxy-service.ts';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange, request } from './utils/client.ts';
import { startOrigin, streamPattern } from './utils/origin.ts';
import { serveApp } from './utils/proxy-harness.ts';
import { startRawOrigin } from './utils/raw-origin.ts';

/** Allowed lateness of a timeout: the wheel tick plus a loaded machine. */
const SLACK_MS = 700;

interface Seen {
  errors: Array<PingoraError | undefined>;
}

/** A proxy built by httpProxyService from `yaml` (the server keys), to `address`. */
async function proxyFromYaml(
  yaml: string,
  address: string,
  seen?: Seen,
  peerOptions?: PeerOptionsInit,
) {
  const conf = parseServerConf(`version: 1\n${yaml}`, 'test.yaml');
  const inner: ProxyHttp<null> = {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(address, { options: peerOptions }),
    logging: (_s, e) => {
      seen?.errors.push(e);
    },
  };
  const service = httpProxyService(conf, inner, { name: 'test' });
  const served = await serveApp(service.app);
  const proxy = (service.app as HttpServer).app as HttpProxy<null>;
  const connector = proxy.connector as HttpConnector;
  return {
    port: served.port,
    connector,
    async [Symbol.asyncDispose]() {
      connector.close();
      await served[Symbol.asyncDispose]();
    },
  };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

function expectWithin(ms: number, limitMs: number): void {
  expect(ms).toBeGreaterThanOrEqual(limitMs - 20);
  expect(ms).toBeLessThan(limitMs + SLACK_MS);
}

/** Resolves once `socket` closes; how long that took. */
function closedAfter(socket: Socket): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - t0)));
}

describe('timeouts from the server YAML', () => {
  it('upstream_read_timeout_seconds: a hung upstream is a 504 at that limit', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await proxyFromYaml('upstream_read_timeout_seconds: 0.3\n', hung.address);
    const { value: res, ms } = await timed(() => request(p.port, '/'));
    expect(res.status).toBe(504);
    expectWithin(ms, 300);
  });

  it('upstream_connect_timeout_seconds: a connect that never completes is a 504', async () => {
    await using hole = await blackhole();
    await using p = await proxyFromYaml(
      'upstream_connect_timeout_seconds: 0.3\n',
      `127.0.0.1:${hole.port}`,
    );
    const { value: res, ms } = await timed(() => request(p.port, '/'));
    expect(res.status).toBe(504);
    expectWithin(ms, 300);
  });

  it('upstream_write_timeout_seconds: an upstream that stops reading the body fails the request', async () => {
    // Accepts, reads nothing: the request body backs up until the write blocks.
    await using deaf = await startRawOrigin(() => {});
    const seen: Seen = { errors: [] };
    await using p = await proxyFromYaml(
      'upstream_write_timeout_seconds: 0.3\nupstream_read_timeout_seconds: 30\n',
      deaf.address,
      seen,
    );
    const socket = connect(p.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const total = 256 * 1024 * 1024;
    socket.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
    const block = Buffer.alloc(256 * 1024, 'b');
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    const closed = closedAfter(socket);
    // Write until the proxy stops reading (its upstream write blocked), bounded.
    for (let sent = 0; sent < total && !socket.destroyed; sent += block.length) {
      if (!socket.write(block)) {
        const drained = await Promise.race([
          once(socket, 'drain').then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 1500)),
        ]);
        if (!drained) break;
      }
    }
    await closed;
    expect(answer.startsWith('HTTP/1.1 504 ')).toBe(true);
    expect(seen.errors[0]?.type).toBe(ErrorType.WriteTimedout);
  });

  it('upstream_idle_timeout_seconds: an idle pooled connection is closed after it', async () => {
    await using origin = await startOrigin();
    await using p = await proxyFromYaml('upstream_idle_timeout_seconds: 0.3\n', origin.address);
    expect((await request(p.port, '/')).status).toBe(200);
    expect(p.connector.idleCount).toBe(1);
    for (let i = 0; i < 40 && p.connector.idleCount > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(p.connector.idleCount).toBe(0);
  });

  it('downstream_header_timeout_seconds: a slow request head gets 408', async () => {
    await using origin = await startOrigin();
    await using p = await proxyFromYaml('downstream_header_timeout_seconds: 0.3\n', origin.address);
    const { value: raw, ms } = await timed(() => rawExchange(p.port, 'GET / HTTP/1.1\r\nHo', 5000));
    expect(raw.toString('latin1').startsWith('HTTP/1.1 408 ')).toBe(true);
    expectWithin(ms, 300);
  });

  it('downstream_keepalive_timeout_seconds: an idle client connection is closed after it', async () => {
    await using origin = await startOrigin();
    await using p = await proxyFromYaml(
      'downstream_keepalive_timeout_seconds: 0.3\n',
      origin.address,
    );
    const socket = connect(p.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await once(socket, 'data');
    const ms = await closedAfter(socket);
    expectWithin(ms, 300);
  });

  it('downstream_body_read_timeout_seconds: a stalled request body gets 408', async () => {
    await using origin = await startOrigin();
    await using p = await proxyFromYaml(
      'downstream_body_read_timeout_seconds: 0.3\n',
      origin.address,
    );
    const { value: raw, ms } = await timed(() =>
      rawExchange(
        p.port,
        'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345',
        5000,
      ),
    );
    expect(raw.toString('latin1').startsWith('HTTP/1.1 408 ')).toBe(true);
    expectWithin(ms, 300);
  });

  it('downstream_write_timeout_seconds: a client that stops reading is dropped', async () => {
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      streamPattern(res, 512 * 1024 * 1024);
    });
    const seen: Seen = { errors: [] };
    await using p = await proxyFromYaml(
      'downstream_write_timeout_seconds: 0.3\n',
      origin.address,
      seen,
    );
    const socket = connect(p.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await once(socket, 'data');
    socket.pause(); // never read again: the proxy's writes back up
    for (let i = 0; i < 100 && seen.errors.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    socket.destroy();
    expect(seen.errors[0]?.type).toBe(ErrorType.WriteTimedout);
  });

  it('upgrade_idle_timeout_seconds: an idle tunnel is closed after it', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
      ),
    );
    await using p = await proxyFromYaml('upgrade_idle_timeout_seconds: 0.3\n', origin.address);
    const socket = connect(p.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n');
    await once(socket, 'data');
    const ms = await closedAfter(socket);
    expectWithin(ms, 300);
  });

  it('a peer option wins over the YAML: upgradeIdleTimeout closes its tunnels sooner', async () => {
    await using origin = await startRawOrigin((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
      ),
    );
    await using p = await proxyFromYaml(
      'upgrade_idle_timeout_seconds: 600\nupstream_read_timeout_seconds: 60\n',
      origin.address,
      undefined,
      { upgradeIdleTimeout: 300 },
    );
    const socket = connect(p.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n');
    await once(socket, 'data');
    expectWithin(await closedAfter(socket), 300);
  });

  it('a peer option wins over the YAML: readTimeout shortens the upstream read limit', async () => {
    await using hung = await startRawOrigin(() => {});
    await using p = await proxyFromYaml(
      'upstream_read_timeout_seconds: 60\n',
      hung.address,
      undefined,
      {
        readTimeout: 300,
      },
    );
    const { value: res, ms } = await timed(() => request(p.port, '/'));
    expect(res.status).toBe(504);
    expectWithin(ms, 300);
  });

  it('request_timeout_seconds: the whole request is bounded (504) under a long read timeout', async () => {
    // Answers after 3 s: well within the 60 s read timeout, past the 0.4 s deadline.
    const timers: NodeJS.Timeout[] = [];
    await using slow = await startRawOrigin((socket) => {
      timers.push(
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 3000),
      );
    });
    const seen: Seen = { errors: [] };
    await using p = await proxyFromYaml('request_timeout_seconds: 0.4\n', slow.address, seen);
    const { value: res, ms } = await timed(() => request(p.port, '/'));
    for (const t of timers) clearTimeout(t);
    expect(res.status).toBe(504);
    expectWithin(ms, 400);
    expect(seen.errors[0]?.context).toMatch(/deadline/);
  });
});
