/**
 * A demo JSON API started in-process when no upstream is configured: GET
 * /ip answers `{"ip": ..., "port": ...}` like the service Pingora's example
 * rewrites, anything else a small list of items.
 */
import { type DemoOrigin, serveOnLoopback } from '@pingora-ts/app-demo-origin';

export function startDemoApi(): Promise<DemoOrigin> {
  return serveOnLoopback((req, res) => {
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
}
