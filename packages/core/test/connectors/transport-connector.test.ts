import { describe, expect, it } from 'vitest';
import { httpOrigin } from '../../../../tooling/test-servers.ts';
import { type IdleStream, TransportConnector } from '../../src/connectors.ts';
import type { ConnectorStats } from '../../src/diagnostics.ts';
import { HttpPeer } from '../../src/index.ts';
import { rawGet, until } from './utils/raw-http.ts';

async function request(connector: TransportConnector, peer: HttpPeer): Promise<boolean> {
  const { stream, reused } = await connector.getStream(peer);
  expect(await rawGet(stream.stream.socket)).toBe('ok');
  connector.releaseStream(stream, peer);
  return reused;
}

function stats(connector: TransportConnector): ConnectorStats {
  return connector.stats;
}

describe('TransportConnector', () => {
  it('reuses one upstream connection for 1,000 sequential requests', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    let reused = 0;
    for (let i = 0; i < 1000; i++) if (await request(connector, peer)) reused++;
    expect(origin.accepted()).toBe(1);
    expect(reused).toBe(999);
    expect(stats(connector)).toMatchObject({ newConnections: 1, reusedConnections: 999 });
    connector.close();
  });

  it('shares connections between equal peers built separately', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    await request(
      connector,
      new HttpPeer(`127.0.0.1:${origin.port}`, { options: { readTimeout: 1 } }),
    );
    expect(await request(connector, new HttpPeer(`127.0.0.1:${origin.port}`))).toBe(true);
    expect(origin.accepted()).toBe(1);
    connector.close();
  });

  it('never shares connections between peers that differ in a hashed attribute', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const addr = `127.0.0.1:${origin.port}`;
    const peers = [
      new HttpPeer(addr),
      new HttpPeer(addr, { sni: 'other' }),
      new HttpPeer(addr, { options: { verifyCert: false } }),
      new HttpPeer(addr, { options: { verifyHostname: false } }),
      new HttpPeer(addr, { options: { alternativeCn: 'alt' } }),
      new HttpPeer(addr, { clientCert: { cert: 'c', key: 'k' } }),
      new HttpPeer(addr, { groupKey: 'g' }),
      new HttpPeer(`unix:/nonexistent/${origin.port}`),
    ];
    for (const peer of peers.slice(0, -1)) {
      expect(await request(connector, peer)).toBe(false);
    }
    expect(origin.accepted()).toBe(peers.length - 1);
    // Each is reused by itself afterwards.
    for (const peer of peers.slice(0, -1)) expect(await request(connector, peer)).toBe(true);
    expect(origin.accepted()).toBe(peers.length - 1);
    expect(connector.reusedStream(peers.at(-1)!)).toBeUndefined();
    connector.close();
  });

  it('evicts the least recently pooled connection across peers at the pool limit', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector({ keepalivePoolSize: 2 });
    const addr = `127.0.0.1:${origin.port}`;
    const [a, b, c] = ['a', 'b', 'c'].map((g) => new HttpPeer(addr, { groupKey: g })) as [
      HttpPeer,
      HttpPeer,
      HttpPeer,
    ];
    const streams = new Map<HttpPeer, IdleStream>();
    for (const peer of [a, b, c]) {
      const { stream } = await connector.getStream(peer);
      expect(await rawGet(stream.stream.socket)).toBe('ok');
      streams.set(peer, stream);
    }
    for (const peer of [a, b, c]) connector.releaseStream(streams.get(peer)!, peer);
    expect(stats(connector).evictions).toBe(1);
    expect(streams.get(a)!.stream.socket.destroyed).toBe(true);
    expect(connector.reusedStream(a)).toBeUndefined();
    expect(connector.reusedStream(b)).toBe(streams.get(b));
    expect(connector.reusedStream(c)).toBe(streams.get(c));
    streams.get(b)!.stream.destroy();
    streams.get(c)!.stream.destroy();
    connector.close();
  });

  it("closes idle connections at the peer's idle timeout", async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`, { options: { idleTimeout: 60 } });
    await request(connector, peer);
    expect(connector.idleCount).toBe(1);
    await until(() => connector.idleCount === 0);
    expect(stats(connector).idleTimeouts).toBe(1);
    await until(() => origin.sockets.size === 0);
    expect(await request(connector, peer)).toBe(false);
    connector.close();
  });

  it('does not pool at all for a peer whose idle timeout is 0', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`, { options: { idleTimeout: 0 } });
    expect(await request(connector, peer)).toBe(false);
    expect(await request(connector, peer)).toBe(false);
    expect(connector.idleCount).toBe(0);
    expect(origin.accepted()).toBe(2);
    expect(stats(connector).notPooled).toBe(2);
  });

  it('drops idle connections the upstream closes, so no request ever fails', async () => {
    // The origin's keepalive timeout (40 ms) is shorter than ours (none).
    await using origin = await httpOrigin({ keepAliveTimeoutMs: 40 });
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    for (let i = 0; i < 5; i++) {
      await request(connector, peer); // would throw if handed a dead connection
      await until(() => connector.idleCount === 0); // the origin closed it while pooled
    }
    expect(stats(connector).idleCloses).toBe(5);
    expect(origin.accepted()).toBe(5);
    connector.close();
  });

  it('drops an idle connection on which the upstream sends bytes', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    await request(connector, peer);
    for (const s of origin.sockets) s.write('HTTP/1.1 408 Request Timeout\r\n\r\n');
    await until(() => connector.idleCount === 0);
    expect(stats(connector).unexpectedData).toBe(1);
    expect(await request(connector, peer)).toBe(false);
    connector.close();
  });

  it('closes instead of pooling a connection that has unread bytes or is closed', async () => {
    await using origin = await httpOrigin();
    const connector = new TransportConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`);
    const { stream } = await connector.getStream(peer);
    stream.stream.socket.destroy();
    connector.releaseStream(stream, peer);
    expect(connector.idleCount).toBe(0);
    expect(stats(connector).notPooled).toBe(1);
    connector.close();
  });
});
