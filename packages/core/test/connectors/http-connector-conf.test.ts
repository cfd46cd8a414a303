import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestHeader } from '@pingora-ts/http';
import { afterAll, describe, expect, it } from 'vitest';
import { connectProxy, httpOrigin } from '../../../../tooling/test-servers.ts';
import { HttpConnector, HttpPeer, serverConfWith } from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pingora-ts-httpconn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function get(connector: HttpConnector, peer: HttpPeer): Promise<boolean> {
  const { session, reused } = await connector.getHttpSession(peer);
  session.writeRequestHeader(RequestHeader.build('GET', '/').appendHeader('Host', 'test'));
  await session.readResponseHeader();
  while ((await session.readBodyChunk()) !== null) {}
  connector.releaseHttpSession(session, peer);
  return reused;
}

describe('HttpConnector setup and address kinds', () => {
  it("takes the pool size and bind addresses from the server's configuration", async () => {
    await using origin = await httpOrigin();
    const conf = serverConfWith({ upstreamKeepalivePoolSize: 1, clientBindToIpv4: ['127.0.0.4'] });
    const connector = HttpConnector.fromServerConf(conf);
    const a = new HttpPeer(`127.0.0.1:${origin.port}`, { groupKey: 'a' });
    const b = new HttpPeer(`127.0.0.1:${origin.port}`, { groupKey: 'b' });
    await get(connector, a);
    await get(connector, b); // pool of 1: evicts a's connection
    expect(connector.stats.evictions).toBe(1);
    expect(await get(connector, b)).toBe(true);
    for (const s of origin.sockets) expect(s.remoteAddress).toBe('127.0.0.4');
    connector.close();
  });

  it('reuses connections to a Unix socket peer', async () => {
    const path = join(dir, 'origin.sock');
    await using origin = await httpOrigin({ path });
    const connector = new HttpConnector();
    const peer = new HttpPeer(`unix:${path}`);
    expect(await get(connector, peer)).toBe(false);
    expect(await get(connector, peer)).toBe(true);
    expect(origin.accepted()).toBe(1);
    connector.close();
  });

  it('reuses a connection tunnelled through a CONNECT proxy', async () => {
    await using origin = await httpOrigin();
    await using proxy = await connectProxy();
    const connector = new HttpConnector();
    const peer = new HttpPeer(`127.0.0.1:${origin.port}`, {
      proxy: { nextHop: `127.0.0.1:${proxy.port}`, host: '127.0.0.1', port: origin.port },
    });
    for (let i = 0; i < 5; i++) expect(await get(connector, peer)).toBe(i > 0);
    expect(proxy.heads).toHaveLength(1);
    expect(origin.accepted()).toBe(1);
    connector.close();
  });
});
