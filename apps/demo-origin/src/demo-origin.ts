/**
 * A demo origin started in-process when the configuration names no
 * upstream: it answers every request with its name and the request line.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigin {
  readonly address: string;
  close(): Promise<void>;
}

export async function startDemoOrigin(name: string, contentType: string): Promise<DemoOrigin> {
  const server = createServer((req, res) => {
    req.resume();
    const body =
      contentType === 'application/json'
        ? JSON.stringify({ origin: name, method: req.method, url: req.url })
        : `<h1>${name}</h1><p>${req.method} ${req.url}</p>\n`;
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
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
