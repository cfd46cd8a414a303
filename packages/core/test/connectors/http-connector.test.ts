import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { RequestHeader } from '@pingora-ts/http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpOrigin, tcpServer } from '../../../../tooling/test-servers.ts';
import { decideRetryByReuse } from '../../src/connectors.ts';
import { connectorChannels } from '../../src/diagnostics.ts';
import { HttpConnector, HttpPeer } from '../../src/index.ts';
import { until } from './utils/raw-http.ts';

interface Outcome {
  status: number;
  body: string;
  reused: boolean;
}

/** One GET through the connector, as the proxy does it: get, exchange, release. */
async function get(connector: HttpConnector, peer: HttpPeer): Promise<Outcome> {
  const { session, reused } = await connector.getHttpSession(peer);
  try {
    session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'test'));
    const resp = await session.readResponseHeader();
    let body = '';
    for (let chunk = await session.readBodyChunk(); chunk !== null; ) {
      body += chunk.toString('latin1');
      chunk = await session.readBodyChunk();
    }
    connector.releaseHttpSession(session, peer);
    return { status: resp.status, body, reused };
  } catch (err) {
    session.destroy();
    throw PingoraError.is(err)
      ? decideRetryByReuse(err, { reused, responseStarted: session.receivedResponseBytes })
      : err;
  }
}

/** get() with the proxy's retry rule: one more try on a fresh connection when allowed. */
async function getWithRetry(connector: HttpConnector, peer: HttpPeer): Promise<Outcome> {
  try {
    return await get(connector, peer);
  } catch (err) {
    if (PingoraError.is(err) && err.retry === true) return get(connector, peer);
    throw err;
  }
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function nodeOrigin(
  keepAliveTimeout: number,
): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((_req, res) => res.end('node'));
  server.keepAliveTimeout = keepAliveTimeout;
  // Node 24 adds a safety buffer (1 s) to the keep-alive timeout; the test wants the bare one.
  (server as Server & { keepAliveTimeoutBuffer: number }).keepAliveTimeoutBuffer = 0;
  server.on('connection', () => accepted++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

describe('HttpConnector', () => {
  it('reuses one upstream connection for 1,000 sequential requests', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    let reused = 0;
    for (let i = 0; i < 1000; i++) {
      const r = await get(connector, peer);
      expect(r.body).toBe('ok');
      if (r.reused) reused++;
    }
    expect(origin.accepted()).toBe(1);
    expect(reused).toBe(999);
    expect(connector.stats).toMatchObject({ newConnections: 1, reusedConnections: 999 });
    connector.close();
  });

  it('publishes new and reuse events only to subscribers', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    const seen: string[] = [];
    const onNew = (): void => {
      seen.push('new');
    };
    const onReuse = (): void => {
      seen.push('reuse');
    };
    connectorChannels.new.subscribe(onNew);
    connectorChannels.reuse.subscribe(onReuse);
    try {
      await get(connector, peer);
      await get(connector, peer);
    } finally {
      connectorChannels.new.unsubscribe(onNew);
      connectorChannels.reuse.unsubscribe(onReuse);
    }
    expect(seen).toEqual(['new', 'reuse']);
    connector.close();
  });

  it('does not pool a session that was never used or whose response said close', async () => {
    await using origin = await httpOrigin({ maxRequestsPerConnection: 1 });
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    const { session } = await connector.getHttpSession(peer);
    connector.releaseHttpSession(session, peer);
    expect(connector.idleCount).toBe(0);
    expect((await get(connector, peer)).reused).toBe(false);
    expect((await get(connector, peer)).reused).toBe(false);
    expect(connector.stats.notPooled).toBe(3);
    expect(origin.accepted()).toBe(3);
  });

  it('closes instead of throwing when a peer idle timeout was made invalid later', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    await get(connector, peer);
    peer.options.idleTimeout = -1;
    expect((await get(connector, peer)).reused).toBe(true);
    expect(connector.idleCount).toBe(0);
    expect(connector.stats.notPooled).toBe(1);
    connector.close();
  });

  it('ignores a second release of the same session', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    const { session } = await connector.getHttpSession(peer);
    session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'test'));
    await session.readResponseHeader();
    while ((await session.readBodyChunk()) !== null) {}
    connector.releaseHttpSession(session, peer);
    connector.releaseHttpSession(session, peer);
    expect(connector.idleCount).toBe(1);
    expect((await get(connector, peer)).reused).toBe(true);
    expect((await get(connector, peer)).reused).toBe(true);
    expect(origin.accepted()).toBe(1);
    connector.close();
  });

  it('never pools a session under a peer with another reuse hash', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    const other = new HttpPeer(`127.0.0.1:${origin.port}`, { options: { verifyCert: false } });
    const { session } = await connector.getHttpSession(peer);
    session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'test'));
    await session.readResponseHeader();
    while ((await session.readBodyChunk()) !== null) {}
    connector.releaseHttpSession(session, other);
    expect(connector.idleCount).toBe(0);
    expect(session.closed).toBe(true);
    expect((await get(connector, other)).reused).toBe(false);
    expect((await get(connector, peer)).reused).toBe(false);
    expect((await get(connector, other)).reused).toBe(true);
    connector.close();
  });

  it('evicts the least recently pooled connection at the pool limit', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector({ keepalivePoolSize: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map(
      (g) => new HttpPeer(`127.0.0.1:${origin.port}`, { groupKey: g }),
    ) as [HttpPeer, HttpPeer, HttpPeer];
    const evicted: unknown[] = [];
    const onEvict = (message: unknown): void => {
      evicted.push(message);
    };
    connectorChannels.evict.subscribe(onEvict);
    try {
      for (const peer of [a, b, c]) await get(connector, peer);
    } finally {
      connectorChannels.evict.unsubscribe(onEvict);
    }
    expect(evicted).toEqual([{ reason: 'evicted', key: a.reuseHash() }]);
    expect(connector.stats.evictions).toBe(1);
    expect(connector.idleCount).toBe(2);
    expect((await get(connector, a)).reused).toBe(false); // evicts b, the oldest now
    expect((await get(connector, c)).reused).toBe(true);
    expect((await get(connector, b)).reused).toBe(false);
    expect(connector.stats.evictions).toBe(3);
    connector.close();
  });

  it("closes idle connections at the peer's idle timeout, and never pools with 0", async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`, { options: { idleTimeout: 50 } });
    await get(connector, peer);
    expect(connector.idleCount).toBe(1);
    await until(() => connector.idleCount === 0);
    expect(connector.stats.idleTimeouts).toBe(1);
    await until(() => origin.sockets.size === 0);
    const off = new HttpPeer(`127.0.0.1:${origin.port}`, { options: { idleTimeout: 0 } });
    expect((await get(connector, off)).reused).toBe(false);
    expect((await get(connector, off)).reused).toBe(false);
    expect(connector.idleCount).toBe(0);
    connector.close();
  });

  it('an upstream that closes idle connections sooner than we do never fails a request', async () => {
    const origin = await nodeOrigin(30); // node:http keepAliveTimeout 30 ms, ours: none
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    let seed = 7;
    const failures: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      try {
        expect((await getWithRetry(connector, peer)).body).toBe('node');
      } catch (err) {
        failures.push(err);
      }
      // Pauses on both sides of the origin's keep-alive timeout, the stale-race window included.
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      await new Promise((r) => setTimeout(r, seed % 60));
    }
    expect(failures).toEqual([]);
    // Both paths were taken: connections reused, and connections the origin closed while pooled.
    expect(connector.stats.reusedConnections).toBeGreaterThan(0);
    expect(connector.stats.idleCloses).toBeGreaterThan(0);
    expect(origin.accepted()).toBeGreaterThan(1);
    connector.close();
  });

  it('drops an idle connection on which the upstream sends bytes', async () => {
    await using origin = await httpOrigin();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    await get(connector, peer);
    for (const s of origin.sockets) s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await until(() => connector.idleCount === 0);
    expect(connector.stats.unexpectedData).toBe(1);
    expect((await get(connector, peer)).reused).toBe(false);
    connector.close();
  });
});

describe('retry decided by reuse', () => {
  /** An origin that answers the first request on each connection and kills the connection on the second. */
  function oneShotOrigin(partial: boolean) {
    return tcpServer((socket) => {
      let requests = 0;
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        while (text.includes('\r\n\r\n')) {
          text = text.slice(text.indexOf('\r\n\r\n') + 4);
          requests++;
          if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          else if (partial) socket.end('HTTP/1.1 200 OK\r\nContent-Le');
          else socket.destroy();
        }
      });
    });
  }

  it('marks a failure on a reused connection before any response byte retryable', async () => {
    await using origin = await oneShotOrigin(false);
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    await get(connector, peer);
    const err = await get(connector, peer).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PingoraError.is(err)).toBe(true);
    const e = err as PingoraError;
    expect([ErrorType.ConnectionClosed, ErrorType.ReadError, ErrorType.WriteError]).toContain(
      e.type,
    );
    expect(e.retry).toBe(true);
    // The retry goes to a fresh connection and succeeds.
    expect(await getWithRetry(connector, peer)).toMatchObject({ body: 'ok', reused: false });
    connector.close();
  });

  it('does not retry the same failure on a fresh connection, nor after response bytes', async () => {
    const fresh = PingoraError.explain(ErrorType.ConnectionClosed, 'closed');
    expect(decideRetryByReuse(fresh, { reused: false, responseStarted: false }).retry).toBe(false);
    const timedOut = PingoraError.explain(ErrorType.ReadTimedout, 'slow');
    expect(decideRetryByReuse(timedOut, { reused: true, responseStarted: false }).retry).toBe(
      false,
    );
    const marked = PingoraError.explain(ErrorType.ConnectionClosed, 'x').withRetry('reused-only');
    expect(decideRetryByReuse(marked, { reused: true, responseStarted: true }).retry).toBe(false);

    await using origin = await oneShotOrigin(true);
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    await get(connector, peer);
    const err = (await get(connector, peer).then(
      () => undefined,
      (e: unknown) => e,
    )) as PingoraError;
    expect(PingoraError.is(err)).toBe(true);
    expect(err.retry).toBe(false);
    connector.close();
  });
});
