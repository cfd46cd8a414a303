/**
 * A TLS origin for tests: node:tls on 127.0.0.1 port 0 that answers each
 * HTTP/1.1 request head with "200 tls" and records what it saw of each
 * client (SNI, ALPN, client certificate subject, resumed session or not).
 */
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls';

export interface TlsOrigin {
  readonly port: number;
  readonly accepted: () => number;
  readonly clients: {
    sni: string | false;
    alpn: string | false | null;
    clientCn: string | string[] | undefined;
    resumed: boolean;
  }[];
  [Symbol.asyncDispose](): Promise<void>;
}

export async function tlsOrigin(options: TlsOptions): Promise<TlsOrigin> {
  const clients: TlsOrigin['clients'] = [];
  const sockets = new Set<TLSSocket>();
  let accepted = 0;
  const server = createServer(options, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const peerCert = socket.getPeerCertificate();
    clients.push({
      sni: (socket as TLSSocket & { servername: string | false }).servername,
      alpn: socket.alpnProtocol,
      clientCn: peerCert?.subject?.CN,
      resumed: socket.isSessionReused(),
    });
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      while (text.includes('\r\n\r\n')) {
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls');
      }
    });
  });
  server.on('tlsClientError', () => {});
  // Counted at TCP accept: a client may hang up before the server sees the handshake end.
  server.on('connection', () => {
    accepted++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    clients,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
