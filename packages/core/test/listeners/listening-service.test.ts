/**
 * ListeningService over real sockets: TCP on IPv4 and IPv6 with port 0, Unix
 * sockets with their mode, the ConnectionFilter, stream digests, connection
 * limits, diagnostics events, and the drain on shutdown.
 */
import { spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorType } from '@pingora-ts/error';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/diagnostics.ts';
import { ListeningService, type ServerApp, type SocketAddr } from '../../src/index.ts';
import { Echo, port, roundTrip, run, stopRunsAfterEach } from './utils/harness.ts';

stopRunsAfterEach();

describe('ListeningService', () => {
  it('binds TCP port 0, reports the real port and hands Streams with a digest to the app', async () => {
    const app = new Echo();
    const service = new ListeningService('echo', app).addTcp('127.0.0.1:0');
    run(service);
    const [addr] = await service.listening;
    expect(service.boundAddresses()).toEqual([addr]);
    expect(port(addr)).toBeGreaterThan(0);
    const before = Date.now();
    expect(await roundTrip({ port: port(addr) }, 'hello')).toBe('hello');
    const digest = app.digests[0];
    expect(digest?.peerAddr).toMatchObject({ kind: 'inet', family: 4, address: '127.0.0.1' });
    expect(digest?.localAddr).toEqual({
      kind: 'inet',
      family: 4,
      address: '127.0.0.1',
      port: port(addr),
    });
    expect(digest?.establishedAt).toBeGreaterThanOrEqual(before - 1000);
  });

  it('binds IPv6 when the host has ::1', async (ctx) => {
    const probe = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!ok) ctx.skip();
    const app = new Echo();
    const service = new ListeningService('v6', app).addTcp('[::1]:0', {
      ipv6Only: true,
      backlog: 16,
    });
    run(service);
    const [addr] = await service.listening;
    expect(addr).toMatchObject({ kind: 'inet', family: 6, address: '::1' });
    expect(await roundTrip({ port: port(addr), host: '::1' }, 'six')).toBe('six');
    expect(app.digests[0]?.peerAddr).toMatchObject({ family: 6, address: '::1' });
  });

  it('binds a Unix socket with its mode, replacing a stale socket file, and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-uds-'));
    try {
      const path = join(dir, 's.sock');
      // A socket file left behind by a process that died without closing it.
      const dead = spawnSync(process.execPath, [
        '-e',
        "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
        path,
      ]);
      expect(dead.signal).toBe('SIGKILL');
      expect(statSync(path).isSocket()).toBe(true);
      const app = new Echo();
      const service = new ListeningService('uds', app).addUds(path, { mode: 0o600 });
      const r = run(service);
      expect(await service.listening).toEqual([{ kind: 'unix', path }]);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await roundTrip({ path }, 'unix')).toBe('unix');
      expect(app.digests[0]?.peerAddr).toBeUndefined();
      expect(app.digests[0]?.localAddr).toEqual({ kind: 'unix', path });
      await r.shutdown();
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('addAddress takes TCP and unix: addresses alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-uds-'));
    try {
      const path = join(dir, 'a.sock');
      const service = new ListeningService('mixed', new Echo())
        .addAddress('127.0.0.1:0')
        .addAddress(`unix:${path}`);
      run(service);
      const [tcp, uds] = await service.listening;
      expect(uds).toEqual({ kind: 'unix', path });
      expect(await roundTrip({ port: port(tcp) }, 'tcp')).toBe('tcp');
      expect(await roundTrip({ path }, 'uds')).toBe('uds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not remove a regular file in the way of a Unix socket: the bind fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-uds-'));
    try {
      const path = join(dir, 'not-a-socket');
      writeFileSync(path, 'data');
      const service = new ListeningService('uds', new Echo()).addUds(path);
      const r = run(service);
      await expect(service.listening).rejects.toMatchObject({ type: ErrorType.BindError });
      await expect(r.ready).rejects.toMatchObject({ type: ErrorType.BindError });
      expect(existsSync(path)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ConnectionFilter denies before the app sees anything; allowed peers are served', async () => {
    const app = new Echo();
    const asked: Array<SocketAddr | undefined> = [];
    let allow = false;
    const service = new ListeningService('filtered', app, {
      connectionFilter: {
        shouldAccept(peer) {
          asked.push(peer);
          return allow;
        },
      },
    }).addTcp('127.0.0.1:0');
    const denied: ConnectionEvent[] = [];
    const onDenied = (m: unknown) => denied.push(m as ConnectionEvent);
    subscribe('pingora-ts:core:connection-denied', onDenied);
    try {
      run(service);
      const p = port((await service.listening)[0]);
      expect(await roundTrip({ port: p }, 'secret')).toBe('');
      expect(app.digests).toHaveLength(0);
      expect(asked[0]).toMatchObject({ kind: 'inet', address: '127.0.0.1' });
      expect(denied[0]).toMatchObject({ service: 'filtered', peer: { address: '127.0.0.1' } });
      allow = true;
      expect(await roundTrip({ port: p }, 'open')).toBe('open');
      expect(app.digests).toHaveLength(1);
    } finally {
      unsubscribe('pingora-ts:core:connection-denied', onDenied);
    }
  });

  it('an async filter is awaited; one that rejects denies', async () => {
    const app = new Echo();
    let mode: 'allow' | 'throw' = 'allow';
    const service = new ListeningService('async', app, {
      connectionFilter: {
        async shouldAccept() {
          await new Promise((r) => setTimeout(r, 20));
          if (mode === 'throw') throw new Error('filter broke');
          return true;
        },
      },
    }).addTcp('127.0.0.1:0');
    run(service);
    const p = port((await service.listening)[0]);
    // Bytes sent while the filter decides are not lost.
    expect(await roundTrip({ port: p }, 'early bytes')).toBe('early bytes');
    mode = 'throw';
    expect(await roundTrip({ port: p }, 'x')).toBe('');
    expect(app.digests).toHaveLength(1);
  });

  it('closes connections over maxConnections at accept', async () => {
    const held: Socket[] = [];
    const app: ServerApp = {
      processNewConnection(stream, shutdown) {
        held.push(stream.socket);
        stream.socket.write('hi');
        return new Promise((resolve) => {
          shutdown.addEventListener('abort', () => resolve(), { once: true });
          stream.socket.once('close', () => resolve());
        });
      },
    };
    const service = new ListeningService('limited', app, { maxConnections: 1 }).addTcp(
      '127.0.0.1:0',
    );
    run(service);
    const p = port((await service.listening)[0]);
    const first = connect(p, '127.0.0.1');
    await new Promise((r) => first.once('data', r));
    expect(service.connectionsInFlight).toBe(1);
    expect(await roundTrip({ port: p }, 'x')).toBe('');
    expect(held).toHaveLength(1);
    first.destroy();
  });

  it('publishes accepted and closed events and ends the socket when the app is done', async () => {
    const events: string[] = [];
    const onAccepted = () => events.push('accepted');
    const onClosed = (m: unknown) =>
      events.push(`closed ${typeof (m as { durationMs: number }).durationMs}`);
    subscribe('pingora-ts:core:connection-accepted', onAccepted);
    subscribe('pingora-ts:core:connection-closed', onClosed);
    try {
      // The app writes and returns without closing: the service flushes and ends the socket.
      const service = new ListeningService('once', {
        processNewConnection(stream) {
          stream.socket.write('x'.repeat(256 * 1024));
        },
      }).addTcp('127.0.0.1:0');
      run(service);
      const p = port((await service.listening)[0]);
      const got = await new Promise<number>((resolve) => {
        let n = 0;
        const s = connect(p, '127.0.0.1');
        s.on('data', (d) => {
          n += d.length;
        });
        s.on('end', () => resolve(n));
      });
      expect(got).toBe(256 * 1024);
      const deadline = Date.now() + 5_000;
      while (events.length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(events).toEqual(['accepted', 'closed number']);
    } finally {
      unsubscribe('pingora-ts:core:connection-accepted', onAccepted);
      unsubscribe('pingora-ts:core:connection-closed', onClosed);
    }
  });

  it('on shutdown: refuses new connections, aborts the app signal, destroys what is left after the grace time', async () => {
    let aborted = 0;
    const app: ServerApp = {
      processNewConnection(stream, shutdown) {
        shutdown.addEventListener('abort', () => aborted++, { once: true });
        // Ignores the signal: only the grace time ends it.
        return new Promise((resolve) => stream.socket.once('close', () => resolve()));
      },
    };
    const service = new ListeningService('drain', app).addTcp('127.0.0.1:0');
    const r = run(service, 0.3);
    const p = port((await service.listening)[0]);
    const client = connect(p, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((res) => client.once('connect', res));
    const deadline = Date.now() + 5_000;
    while (service.connectionsInFlight === 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    const closed = new Promise((res) => client.once('close', res));
    const stopping = r.shutdown();
    await new Promise((res) => setTimeout(res, 50));
    const refused = await new Promise<boolean>((res) => {
      const s = connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(false);
      });
      s.once('error', () => res(true));
    });
    expect(refused).toBe(true);
    expect(aborted).toBe(1);
    await closed;
    await stopping;
    expect(service.connectionsInFlight).toBe(0);
  });

  it('refuses bad endpoints when added and a busy port when binding', async () => {
    const s = new ListeningService('bad', new Echo());
    expect(() => s.addTcp('localhost:80')).toThrow(/invalid socket address/);
    expect(() => s.addTcp('127.0.0.1:0', { backlog: 0 })).toThrow(/backlog/);
    expect(() => s.addUds('')).toThrow(/invalid unix socket path/);
    expect(() => s.addUds('/tmp/x.sock', { mode: 0o1777 })).toThrow(/mode/);
    expect(() => s.addUds(`/tmp/${'x'.repeat(120)}`)).toThrow(/too long/);
    const first = new ListeningService('first', new Echo()).addTcp('127.0.0.1:0');
    run(first);
    const p = port((await first.listening)[0]);
    const second = new ListeningService('second', new Echo()).addTcp(`127.0.0.1:${p}`);
    run(second);
    await expect(second.listening).rejects.toMatchObject({ type: ErrorType.BindError });
  });
});

describe('ListeningService with an app that has serveConnection', () => {
  it('is told through the connection record: done ends the socket, a failure destroys it', async () => {
    const told: string[] = [];
    const app: ServerApp = {
      processNewConnection() {
        throw new Error('not used when serveConnection exists');
      },
      serveConnection(stream, _shutdown, done) {
        const socket = stream.socket;
        socket.once('data', (d: Buffer) => {
          const text = d.toString();
          told.push(text);
          if (text === 'fail') {
            done.connectionDone(new Error('app failed'));
            return;
          }
          socket.write(text, () => {
            done.connectionDone();
            done.connectionDone(); // told twice: the second is ignored
          });
        });
      },
    };
    const service = new ListeningService('cb', app).addTcp('127.0.0.1:0');
    run(service);
    const [addr] = await service.listening;
    expect(await roundTrip({ port: port(addr) }, 'hello')).toBe('hello');
    expect(await roundTrip({ port: port(addr) }, 'fail')).toBe('');
    await expect.poll(() => service.connectionsInFlight).toBe(0);
    expect(told).toEqual(['hello', 'fail']);
  });
});
