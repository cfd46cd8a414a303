import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
import { afterAll, describe, expect, it } from 'vitest';
import { connectProxy, tcpServer } from '../../../../tooling/test-servers.ts';
import { connectL4, resolveBindToLists } from '../../src/connectors.ts';
import { HttpPeer, type Stream } from '../../src/index.ts';
import { blackhole } from './utils/blackhole.ts';

const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-l4-'));

// Some CI containers have no IPv6 loopback; the IPv6 test needs one.
const ipv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<PingoraError> {
  try {
    const value = await promise;
    (value as Stream | undefined)?.destroy();
  } catch (err) {
    if (PingoraError.is(err)) return err;
    throw err;
  }
  throw new Error('expected the connect to fail');
}

function echoOnce(socket: import('node:net').Socket): void {
  socket.once('data', (d) => socket.end(d));
}

function readAll(stream: Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    stream.socket.on('end', () => resolve(text));
    stream.socket.on('error', reject);
  });
}

describe('connectL4', () => {
  it('connects over TCP with Nagle off and records the peer address', async () => {
    await using server = await tcpServer(echoOnce);
    const stream = await connectL4(new HttpPeer(`127.0.0.1:${server.port}`));
    expect(stream.digest.peerAddr).toMatchObject({ address: '127.0.0.1', port: server.port });
    stream.socket.write('ping');
    expect(await readAll(stream)).toBe('ping');
    stream.destroy();
  });

  it.skipIf(!ipv6Loopback)('connects over IPv6 to [::1]', async () => {
    await using server = await tcpServer(echoOnce, { host: '::1' });
    const stream = await connectL4(new HttpPeer(`[::1]:${server.port}`));
    expect(stream.digest.peerAddr).toMatchObject({ family: 6, address: '::1' });
    stream.socket.write('six');
    expect(await readAll(stream)).toBe('six');
    stream.destroy();
  });

  it('connects over a Unix socket', async () => {
    const path = join(dir, 'up.sock');
    await using _server = await tcpServer(echoOnce, { path });
    const stream = await connectL4(new HttpPeer(`unix:${path}`));
    stream.socket.write('unix');
    expect(await readAll(stream)).toBe('unix');
    stream.destroy();
  });

  it('applies TCP keepalive without failing', async () => {
    await using server = await tcpServer(echoOnce);
    const peer = new HttpPeer(`127.0.0.1:${server.port}`, {
      options: { tcpKeepalive: { idleMs: 5000 } },
    });
    const stream = await connectL4(peer);
    stream.destroy();
  });

  it('reports a refused connection as an Upstream ConnectRefused naming the peer', async () => {
    const server = await tcpServer(() => {});
    const port = server.port;
    await server[Symbol.asyncDispose]();
    const err = await failure(connectL4(new HttpPeer(`127.0.0.1:${port}`)));
    expect(err.type).toBe(ErrorType.ConnectRefused);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.message).toContain(`connecting to addr: 127.0.0.1:${port}`);
  });

  it('reports a missing Unix socket as ConnectNoRoute', async () => {
    const err = await failure(connectL4(new HttpPeer(`unix:${join(dir, 'missing.sock')}`)));
    expect(err.type).toBe(ErrorType.ConnectNoRoute);
    expect(err.source).toBe(ErrorSource.Upstream);
  });

  it('times out a connect that never completes (connectionTimeout)', async () => {
    await using hole = await blackhole();
    const peer = new HttpPeer(`127.0.0.1:${hole.port}`, { options: { connectionTimeout: 200 } });
    const started = Date.now();
    const err = await failure(connectL4(peer));
    expect(err.type).toBe(ErrorType.ConnectTimedout);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.message).toMatch(/timeout 200ms connecting to 127\.0\.0\.1:/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out on totalConnectionTimeout when it is the tighter limit', async () => {
    await using hole = await blackhole();
    const peer = new HttpPeer(`127.0.0.1:${hole.port}`, {
      options: { connectionTimeout: 10_000, totalConnectionTimeout: 150 },
    });
    const err = await failure(connectL4(peer));
    expect(err.type).toBe(ErrorType.ConnectTimedout);
    expect(err.message).toContain('total-connection timeout 150ms');
  });

  it("binds to the peer's bindTo, else to the server's client_bind_to list", async () => {
    const seen: string[] = [];
    await using server = await tcpServer((s) => {
      seen.push(s.remoteAddress ?? '');
      s.end();
    });
    const lists = resolveBindToLists(['127.0.0.3'], []);
    const a = await connectL4(new HttpPeer(`127.0.0.1:${server.port}`), lists);
    const b = await connectL4(
      new HttpPeer(`127.0.0.1:${server.port}`, { options: { bindTo: '127.0.0.2' } }),
      lists,
    );
    expect(a.socket.localAddress).toBe('127.0.0.3');
    expect(b.socket.localAddress).toBe('127.0.0.2');
    a.destroy();
    b.destroy();
    expect(() => resolveBindToLists(['::1'], [])).toThrow(/client_bind_to_ipv4/);
  });

  it('reports an address it cannot bind to as an Internal BindError', async () => {
    await using server = await tcpServer(() => {});
    const peer = new HttpPeer(`127.0.0.1:${server.port}`, { options: { bindTo: '192.0.2.1' } });
    const err = await failure(connectL4(peer));
    expect(err.type).toBe(ErrorType.BindError);
    expect(err.source).toBe(ErrorSource.Internal);
  });
});

describe('connectL4 through a CONNECT proxy', () => {
  it('tunnels to the target and keeps bytes that follow the proxy response', async () => {
    await using target = await tcpServer((s) => s.end('from-target'));
    await using proxy = await connectProxy({ earlyTunnelBytes: 'early:' });
    const peer = new HttpPeer(`127.0.0.1:${target.port}`, {
      proxy: {
        nextHop: `127.0.0.1:${proxy.port}`,
        host: '127.0.0.1',
        port: target.port,
        headers: { 'Proxy-Authorization': 'Basic dTpw' },
      },
    });
    const stream = await connectL4(peer);
    expect(await readAll(stream)).toBe('early:from-target');
    expect(proxy.heads[0]).toBe(
      `CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n` +
        'Proxy-Authorization: Basic dTpw\r\n\r\n',
    );
    stream.destroy();
  });

  it('reaches the proxy over a Unix socket as Pingora does', async () => {
    const path = join(dir, 'proxy.sock');
    await using target = await tcpServer((s) => s.end('via-unix'));
    await using _proxy = await connectProxy({ path });
    const peer = new HttpPeer(`127.0.0.1:${target.port}`, {
      proxy: { nextHop: `unix:${path}`, host: '127.0.0.1', port: target.port },
    });
    const stream = await connectL4(peer);
    expect(await readAll(stream)).toBe('via-unix');
    stream.destroy();
  });

  it('fails with ConnectProxyFailure carrying the status when the proxy refuses', async () => {
    await using proxy = await connectProxy({ refuseWith: '407 Proxy Authentication Required' });
    const peer = new HttpPeer('127.0.0.1:9', {
      proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: 'origin.example', port: 443 },
    });
    const err = await failure(connectL4(peer));
    expect(err.type).toBe(ErrorType.ConnectProxyFailure);
    expect(err.source).toBe(ErrorSource.Upstream);
    expect(err.message).toContain('CONNECT proxy answered 407 Proxy Authentication Required');
    expect(err.message).toContain('connecting to addr: 127.0.0.1:9');
  });

  it('fails with ConnectProxyFailure on a malformed or truncated answer', async () => {
    for (const rawResponse of [
      'HTTP/1.1 200 OK\nX: y\n\n',
      'HTTP/1.1 2000\r\n\r\n',
      'HTTP/1.1 20',
    ]) {
      await using proxy = await connectProxy({ rawResponse });
      const peer = new HttpPeer('127.0.0.1:9', {
        proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: 'origin.example', port: 443 },
      });
      const err = await failure(connectL4(peer));
      expect(err.type, rawResponse).toBe(ErrorType.ConnectProxyFailure);
    }
  });

  it('times out a proxy that never answers', async () => {
    await using proxy = await connectProxy({ hang: true });
    const peer = new HttpPeer('127.0.0.1:9', {
      proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: 'origin.example', port: 443 },
      options: { connectionTimeout: 150 },
    });
    const err = await failure(connectL4(peer));
    expect(err.type).toBe(ErrorType.ConnectTimedout);
    expect(err.message).toContain('establishing CONNECT proxy');
    expect(proxy.heads).toHaveLength(1);
  });
});
