/**
 * HTTP/2 chosen by ALPN: a TLS connection whose ALPN picked `h2` is served
 * as HTTP/2 by HttpServer (whatever `h2c` says), one that picked
 * `http/1.1` as HTTP/1. The TLS socket is made here with node:tls; the
 * listeners' own TLS plugs into the same check.
 */
import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { hasOpenssl, makeCerts } from '../../../../tooling/test-tls-cert.ts';
import type { HttpServer } from '../../src/apps/http-app.ts';
import { responseHead, serveHttp } from '../../src/apps/serve-http.ts';
import { Stream } from '../../src/l4/stream.ts';

const certs = hasOpenssl() ? makeCerts() : undefined;

describe.skipIf(certs === undefined)('HTTP/2 by ALPN on TLS', () => {
  it('serves h2 when ALPN chose it and HTTP/1.1 otherwise', async () => {
    const c = certs!;
    const app: HttpServer = serveHttp((s) => ({
      header: responseHead(200),
      body: `${s.protocol} ${s.requestHeader?.getHeader('host')}`,
    }));
    const controller = new AbortController();
    const server = createServer(
      { cert: c.serverCert, key: c.serverKey, ALPNProtocols: ['h2', 'http/1.1'] },
      (socket: TLSSocket) => {
        socket.on('error', () => {});
        void app.processNewConnection(new Stream(socket), controller.signal);
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const session = h2connect(`https://localhost:${port}`, { ca: c.ca });
      session.on('error', () => {});
      const req = session.request({ ':path': '/' });
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d;
      });
      await once(req, 'end');
      expect(body).toBe(`HTTP/2 localhost:${port}`);
      session.close();

      const h1 = tlsConnect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: c.ca,
        ALPNProtocols: ['http/1.1'],
      });
      await once(h1, 'secureConnect');
      h1.write('GET / HTTP/1.1\r\nHost: one\r\nConnection: close\r\n\r\n');
      let text = '';
      h1.on('data', (d: Buffer) => {
        text += d;
      });
      await once(h1, 'close');
      expect(text.endsWith('HTTP/1.1 one')).toBe(true);
    } finally {
      controller.abort();
      server.close();
    }
  });
});
