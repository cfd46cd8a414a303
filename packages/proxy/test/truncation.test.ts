/**
 * Truncation a client can detect: when the upstream fails in the middle of
 * a body whose end the client takes from the connection closing (an
 * HTTP/1.0 client, or a close-delimited response), the proxy resets the
 * client connection (RST: ECONNRESET), so a cut body never looks complete.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { HttpPeer } from '@pingora-ts/core';
import { describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { startProxy } from './utils/proxy-harness.ts';
import { startRawOrigin } from './utils/raw-origin.ts';

function toOrigin(address: string): ProxyHttp<null> {
  return { newCtx: () => null, upstreamPeer: () => new HttpPeer(address) };
}

interface Outcome {
  text: string;
  /** The socket error code (ECONNRESET for a reset), or 'end' for a clean FIN. */
  ending: string;
}

/** Sends `request` and reads until the connection ends; how it ended. */
async function exchange(port: number, request: string): Promise<Outcome> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  socket.write(request);
  const ending = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), 5000);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'error');
    });
    socket.once('end', () => {
      clearTimeout(timer);
      resolve('end');
    });
  });
  socket.destroy();
  return { text, ending };
}

/** An upstream that sends `head` and part of a body, then dies with a reset. */
function dyingOrigin(head: string, part: string) {
  return startRawOrigin((socket) => {
    socket.write(head + part, () => setTimeout(() => socket.resetAndDestroy(), 50));
  });
}

describe('truncated bodies', () => {
  it('resets an HTTP/1.0 client when a chunked upstream body is cut', async () => {
    await using origin = await dyingOrigin(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5\r\nhello\r\n',
    );
    await using p = await startProxy(toOrigin(origin.address));
    const out = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(out.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(out.text).toContain('hello');
    expect(out.ending).toBe('ECONNRESET');
  });

  it('resets an HTTP/1.0 client when a close-delimited upstream body is cut', async () => {
    await using origin = await dyingOrigin('HTTP/1.0 200 OK\r\n\r\n', 'partial body');
    await using p = await startProxy(toOrigin(origin.address));
    const out = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(out.text).toContain('partial body');
    expect(out.ending).toBe('ECONNRESET');
  });

  it('resets an HTTP/1.0 client on a cut body even with a Content-Length', async () => {
    await using origin = await dyingOrigin(
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n',
      'only ten b',
    );
    await using p = await startProxy(toOrigin(origin.address));
    const out = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(out.text).toMatch(/\r\nContent-Length: 100\r\n/);
    expect(out.ending).toBe('ECONNRESET');
  });

  it('re-frames a close-delimited body as chunked for an HTTP/1.1 client: a cut one has no last chunk', async () => {
    await using origin = await dyingOrigin('HTTP/1.0 200 OK\r\n\r\n', 'partial body');
    await using p = await startProxy(toOrigin(origin.address));
    const out = await exchange(p.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(out.text).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(out.text).toContain('partial body');
    expect(out.text.endsWith('0\r\n\r\n')).toBe(false);
    expect(out.ending).not.toBe('timeout');
  });

  it('resets an HTTP/1.0 client when the upstream stalls mid-body past its read timeout', async () => {
    await using origin = await startRawOrigin((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    });
    await using p = await startProxy<null>({
      newCtx: () => null,
      upstreamPeer: () => new HttpPeer(origin.address, { options: { readTimeout: 200 } }),
    });
    const out = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(out.text).toContain('hello');
    expect(out.ending).toBe('ECONNRESET');
  });

  it('still ends a complete close-delimited body with a clean close (FIN)', async () => {
    await using origin = await startRawOrigin((socket) => {
      socket.end('HTTP/1.0 200 OK\r\n\r\nthe whole body');
    });
    await using p = await startProxy(toOrigin(origin.address));
    const out = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(out.text.endsWith('the whole body')).toBe(true);
    expect(out.ending).toBe('end');
  });
});
