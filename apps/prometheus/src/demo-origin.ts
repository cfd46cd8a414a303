/**
 * A demo origin started in-process when the configuration names no
 * upstream: it answers every request with the request line, and `/slow`
 * after 50 ms so the latency histogram has something to show.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigin {
  readonly address: string;
  close(): Promise<void>;
}

export async function startDemoOrigin(): Promise<DemoOrigin> {
  const server = createServer((req, res) => {
    req.resume();
    const body = `demo origin: ${req.method} ${req.url}\n`;
    const send = () => {
      res.writeHead(req.url === '/missing' ? 404 : 200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.url === '/slow') setTimeout(send, 50);
    else send();
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
