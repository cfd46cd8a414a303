/**
 * The ClientHello ALPN reader behind Pingora-style NOACK: real ClientHellos
 * from node's client (TLS 1.3 and 1.2, with and without ALPN), every prefix
 * of one reads as incomplete, and arbitrary bytes never throw (fast-check).
 */
import { type AddressInfo, createServer } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INCOMPLETE, offeredAlpn } from '../src/listener/client-hello.ts';

function clientHello(options: ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve) => {
    const sink = createServer((s) => {
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 5 && got.length >= 5 + got.readUInt16BE(3)) {
          s.destroy();
          sink.close();
          resolve(got);
        }
      });
    }).listen(0, '127.0.0.1', () => {
      const port = (sink.address() as AddressInfo).port;
      tlsConnect({ host: '127.0.0.1', port, ...options }).on('error', () => {});
    });
  });
}

describe('offeredAlpn', () => {
  it('reads the protocols of real ClientHellos', async () => {
    expect(offeredAlpn(await clientHello({ ALPNProtocols: ['h2', 'http/1.1'] }))).toEqual([
      'h2',
      'http/1.1',
    ]);
    expect(
      offeredAlpn(await clientHello({ ALPNProtocols: ['spdy/3'], maxVersion: 'TLSv1.2' })),
    ).toEqual(['spdy/3']);
    expect(offeredAlpn(await clientHello({ servername: 'example.com' }))).toEqual([]);
  });

  it('asks for more on every prefix, and never throws on arbitrary bytes', async () => {
    const hello = await clientHello({ ALPNProtocols: ['http/1.1'], servername: 'a.example.com' });
    for (let n = 0; n < hello.length; n++)
      expect(offeredAlpn(hello.subarray(0, n))).toBe(INCOMPLETE);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(hello.length), (bytes, cut) => {
        offeredAlpn(Buffer.from(bytes));
        // A real header followed by garbage.
        const mixed = Buffer.concat([hello.subarray(0, cut), Buffer.from(bytes)]);
        const r = offeredAlpn(mixed);
        expect(r === INCOMPLETE || r === undefined || Array.isArray(r)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('returns undefined for what is not a ClientHello', () => {
    expect(offeredAlpn(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(offeredAlpn(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0]))).toBeUndefined();
  });
});
