/**
 * A demo origin started in-process when the configuration names no
 * upstream: it answers every request with its name and the request line.
 */
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigin {
  readonly address: string;
  close(): Promise<void>;
}

export function startDemoOrigin(name: string, contentType: string): Promise<DemoOrigin> {
  return serveOnLoopback((req, res) => {
    req.resume();
    const body =
      contentType === 'application/json'
        ? JSON.stringify({ origin: name, method: req.method, url: req.url })
        : `<h1>${name}</h1><p>${req.method} ${req.url}</p>\n`;
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}

/** Serves `handler` on 127.0.0.1 on a free port; close() drops open connections too. */
export async function serveOnLoopback(handler: RequestListener): Promise<DemoOrigin> {
  const server = createServer(handler);
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
