/**
 * A demo JSON API started in-process when no upstream is configured: GET
 * /ip answers `{"ip": ..., "port": ...}` like the service Pingora's example
 * rewrites, anything else a small list of items.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startDemoApi(): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    const body = JSON.stringify(
      req.url === '/ip'
        ? { ip: req.socket.remoteAddress, port: req.socket.remotePort }
        : {
            items: [
              { id: 1, name: 'first' },
              { id: 2, name: 'second' },
            ],
          },
    );
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
