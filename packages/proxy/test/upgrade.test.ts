import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { request } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';

async function startWsOrigin(): Promise<{
  wss: WebSocketServer;
  address: string;
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers['x-upstream-tag'] ?? 'untagged'}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const address = `127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return {
    wss,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe('upgrades', () => {
  it('tunnels a WebSocket through the proxy (echo, text and 1 MiB binary)', async () => {
    const origin = await startWsOrigin();
    const phases: string[] = [];
    try {
      await using p = await startProxy<null>({
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(origin.address),
        upstreamRequestFilter: (_s, req) => {
          req.insertHeader('X-Upstream-Tag', 'via-proxy');
        },
        responseFilter: (_s, resp) => {
          phases.push(`responseFilter ${resp.status}`);
        },
        logging: () => {
          phases.push('logging');
        },
      });
      const ws = new WebSocket(`ws://127.0.0.1:${p.port}/chat`);
      const messages: Array<string | Buffer> = [];
      const next = () =>
        new Promise<string | Buffer>((resolve) => {
          const take = () => {
            const m = messages.shift();
            if (m !== undefined) resolve(m);
            else setTimeout(take, 5);
          };
          take();
        });
      ws.on('message', (data, isBinary) =>
        messages.push(isBinary ? (data as Buffer) : data.toString()),
      );
      await once(ws, 'open');
      expect(await next()).toBe('hello via-proxy');
      ws.send('ping over the tunnel');
      expect(await next()).toBe('ping over the tunnel');
      const big = Buffer.alloc(1024 * 1024, 7);
      ws.send(big);
      const echoed = await next();
      expect(Buffer.isBuffer(echoed) && echoed.equals(big)).toBe(true);
      ws.close();
      await once(ws, 'close');
      // The tunnel ends when both sides closed; logging runs after it.
      for (let i = 0; i < 200 && !phases.includes('logging'); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(phases).toEqual(['responseFilter 101', 'logging']);
      expect(p.connector.idleCount).toBe(0);
    } finally {
      await origin.close();
    }
  });

  it('serves a normal response when the upstream declines the upgrade', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '2' });
      res.end('no');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await using p = await startProxy<null>({
        newCtx: () => null,
        upstreamPeer: () => new HttpPeer(`127.0.0.1:${(server.address() as AddressInfo).port}`),
      });
      const res = await request(p.port, '/', {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket' },
      });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('no');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
