import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Backend, HttpHealthCheck, TcpHealthCheck } from '../src/index.ts';
import { closedPort, rawHttp, TestUpstream } from './utils/servers.ts';

const ok = (body = 'ok', extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('TcpHealthCheck', () => {
  it('passes when a connection opens and fails with ConnectRefused when none can', async () => {
    await using up = await new TestUpstream().start();
    const check = new TcpHealthCheck();
    await expect(check.check(new Backend(up.addr))).resolves.toBeUndefined();
    const port = await closedPort();
    await expect(check.check(new Backend(`127.0.0.1:${port}`))).rejects.toMatchObject({
      type: 'ConnectRefused',
      source: 'Upstream',
    });
  });

  it('checks Unix-socket backends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-uds-'));
    const path = join(dir, 'up.sock');
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(path, () => resolve()));
    try {
      await new TcpHealthCheck().check(new Backend(`unix:${path}`));
      await expect(
        new TcpHealthCheck().check(new Backend(`unix:${path}.missing`)),
      ).rejects.toMatchObject({
        type: 'ConnectNoRoute',
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks another port with portOverride and validates its options', async () => {
    await using up = await new TestUpstream().start();
    const port = await closedPort();
    const check = new TcpHealthCheck({ portOverride: up.port });
    await expect(check.check(new Backend(`127.0.0.1:${port}`))).resolves.toBeUndefined();
    expect(() => new TcpHealthCheck({ connectTimeoutMs: 0 })).toThrow(/ConfigError/);
    expect(() => new TcpHealthCheck({ consecutiveFailure: 1.5 })).toThrow(/ConfigError/);
    expect(
      new TcpHealthCheck({ consecutiveSuccess: 3, consecutiveFailure: 2 }).healthThreshold(true),
    ).toBe(3);
  });
});

describe('HttpHealthCheck', () => {
  it('sends method, path, Host and headers, and passes on the expected status', async () => {
    let request = '';
    await using up = await new TestUpstream((socket) => {
      socket.on('data', (c: Buffer) => {
        request += c.toString('latin1');
        if (request.includes('\r\n\r\n')) socket.end(ok());
      });
    }).start();
    const check = new HttpHealthCheck({
      host: 'svc.internal',
      path: '/healthz?full=1',
      method: 'HEAD',
      headers: { 'X-Check': 'lb' },
    });
    await check.check(new Backend(up.addr));
    expect(request).toBe(
      'HEAD /healthz?full=1 HTTP/1.1\r\nHost: svc.internal\r\nX-Check: lb\r\nConnection: close\r\n\r\n',
    );
  });

  it('fails on an unexpected status, unless it is listed', async () => {
    await using up = await rawHttp(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n',
    ).start();
    await expect(
      new HttpHealthCheck({ host: 'h' }).check(new Backend(up.addr)),
    ).rejects.toMatchObject({
      type: 'HTTPStatus',
      message: expect.stringContaining('unexpected status 503'),
    });
    await new HttpHealthCheck({ host: 'h', expectedStatus: [200, 503] }).check(
      new Backend(up.addr),
    );
    await new HttpHealthCheck({ host: 'h', expectedStatus: (s) => s >= 500 }).check(
      new Backend(up.addr),
    );
  });

  it('checks the body: Content-Length, chunked and close-delimited', async () => {
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nstat\r\n6\r\nus: up\r\n0\r\nX-T: 1\r\n\r\n';
    const close = 'HTTP/1.0 200 OK\r\n\r\nstatus: up';
    for (const response of [ok('status: up'), chunked, close]) {
      await using up = await rawHttp(response).start();
      const backend = new Backend(up.addr);
      await new HttpHealthCheck({ host: 'h', bodyCheck: 'status: up' }).check(backend);
      await new HttpHealthCheck({ host: 'h', bodyCheck: /^status: (up|degraded)$/ }).check(backend);
      await expect(
        new HttpHealthCheck({ host: 'h', bodyCheck: 'status: down' }).check(backend),
      ).rejects.toThrow(/body did not pass/);
    }
  });

  it('fails on bodies over the cap, malformed responses and ambiguous framing', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        ok('x'.repeat(2000)),
        /H1Error context: health check of 127.0.0.1:\d+: response body larger than 1024 bytes$/,
      ],
      [
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
        /InvalidHTTPHeader.*both Content-Length and Transfer-Encoding/,
      ],
      [
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
        /InvalidHTTPHeader.*duplicate Content-Length/,
      ],
      ['HTTP/1.1 200 OK\r\n folded: x\r\n\r\n', /InvalidHTTPHeader.*folding/],
      ['HTTP/2 200\r\n\r\n', /InvalidHTTPHeader.*invalid status line/],
      [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        /InvalidHTTPHeader.*invalid chunk size/,
      ],
      [
        'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort',
        /ConnectionClosed.*before the body was complete/,
      ],
      ['garbage', /ConnectionClosed.*before sending a full response head/],
    ];
    for (const [response, error] of cases) {
      await using up = await rawHttp(response).start();
      const check = new HttpHealthCheck({ host: 'h', bodyCheck: () => true, maxBodyBytes: 1024 });
      await expect(check.check(new Backend(up.addr)), JSON.stringify(response)).rejects.toThrow(
        error,
      );
    }
  });

  it('times out on a silent upstream within the read timeout', async () => {
    await using up = await rawHttp(undefined).start();
    const check = new HttpHealthCheck({ host: 'h', readTimeoutMs: 150 });
    const started = performance.now();
    await expect(check.check(new Backend(up.addr))).rejects.toMatchObject({ type: 'ReadTimedout' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('skips interim 1xx responses', async () => {
    await using up = await rawHttp(`HTTP/1.1 100 Continue\r\n\r\n${ok('fine')}`).start();
    await new HttpHealthCheck({ host: 'h', bodyCheck: 'fine' }).check(new Backend(up.addr));
  });

  it('rejects request parts that could smuggle bytes, as ConfigErrors', () => {
    expect(() => new HttpHealthCheck({ host: 'a\r\nb' })).toThrow(/ConfigError/);
    expect(() => new HttpHealthCheck({ host: 'h', path: '/a b' })).toThrow(/ConfigError/);
    expect(() => new HttpHealthCheck({ host: 'h', path: 'relative' })).toThrow(/ConfigError/);
    expect(() => new HttpHealthCheck({ host: 'h', method: 'G T' })).toThrow(/ConfigError/);
    expect(
      () => new HttpHealthCheck({ host: 'h', headers: { 'X-A': 'v\r\nInjected: 1' } }),
    ).toThrow(/ConfigError/);
    expect(() => new HttpHealthCheck({ host: 'h', headers: { 'Content-Length': '1' } })).toThrow(
      /ConfigError/,
    );
    expect(() => new HttpHealthCheck({ host: 'h', expectedStatus: 42 })).toThrow(/ConfigError/);
  });
});
