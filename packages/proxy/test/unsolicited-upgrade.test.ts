/**
 * An upstream 101 Switching Protocols is forwarded only when the client asked
 * to upgrade and the upstream agreed to the protocol it asked for; otherwise
 * the client gets a 502 and not one byte of the upstream's head.
 */
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { rawExchange } from './utils/client.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { startRawOrigin } from './utils/raw-origin.ts';

const SWITCH_TO = (protocol: string) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${protocol}\r\nConnection: upgrade\r\n\r\nRAW-TUNNEL-BYTES`;

function toOrigin(address: string, extra: Partial<ProxyHttp<null>> = {}): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address), ...extra };
}

describe('unsolicited 101', () => {
  it('answers 502 and sends none of the 101 to a client that asked for no upgrade', async () => {
    await using origin = await startRawOrigin((socket) => socket.write(SWITCH_TO('websocket')));
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).toString('latin1');
    expect(raw.startsWith('HTTP/1.1 502 ')).toBe(true);
    expect(raw).not.toContain('101');
    expect(raw).not.toContain('Switching');
    expect(raw).not.toContain('RAW-TUNNEL-BYTES');
    expect(p.errors[0]?.err).toMatch(/101/);
    expect(p.connector.idleCount).toBe(0);
  });

  it('answers 502 when the upstream switches to a protocol the client did not ask for', async () => {
    await using origin = await startRawOrigin((socket) => socket.write(SWITCH_TO('h2c')));
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(
        p.port,
        'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      )
    ).toString('latin1');
    expect(raw.startsWith('HTTP/1.1 502 ')).toBe(true);
    expect(raw).not.toContain('101');
    expect(raw).not.toContain('RAW-TUNNEL-BYTES');
  });

  it('answers 502 when only a filter asked the upstream to upgrade', async () => {
    await using origin = await startRawOrigin((socket) => socket.write(SWITCH_TO('websocket')));
    await using p = await startProxy(
      toOrigin(origin.address, {
        upstreamRequestFilter: (_s, req) => {
          req.insertHeader('Connection', 'upgrade');
          req.insertHeader('Upgrade', 'websocket');
        },
      }),
    );
    const raw = (await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).toString('latin1');
    expect(origin.heads[0]).toMatch(/\r\nUpgrade: websocket\r\n/);
    expect(raw.startsWith('HTTP/1.1 502 ')).toBe(true);
    expect(raw).not.toContain('101');
    expect(raw).not.toContain('RAW-TUNNEL-BYTES');
  });

  it('still tunnels when the upstream agrees to the protocol asked for (any case)', async () => {
    await using origin = await startRawOrigin((socket) => {
      socket.write(SWITCH_TO('WebSocket'));
      socket.on('data', (d) => socket.write(d));
    });
    await using p = await startProxy(toOrigin(origin.address));
    const raw = (
      await rawExchange(
        p.port,
        'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n',
        300,
      )
    ).toString('latin1');
    expect(raw.startsWith('HTTP/1.1 101 ')).toBe(true);
    expect(raw).toContain('RAW-TUNNEL-BYTES');
  });
});
