/**
 * Demo origins: small HTTP servers started in-process when the
 * configuration names no upstream, so the quick start works offline. Each
 * answers with its name, the request line and the headers the proxy sent.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoOrigins {
  /** `127.0.0.1:port` of each origin. */
  readonly addresses: string[];
  close(): Promise<void>;
}

export async function startDemoOrigins(count: number): Promise<DemoOrigins> {
  const servers: Server[] = [];
  const addresses: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `demo-origin-${i}`;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = `Hello from ${name}\n${req.method} ${req.url}\nx-forwarded-for: ${req.headers['x-forwarded-for'] ?? '-'}\n`;
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'X-Origin': name,
        });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return {
    addresses,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
