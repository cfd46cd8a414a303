/**
 * A demo origin started in-process when the configuration names no
 * upstream: it answers every request with the request line, and `/slow`
 * after 50 ms so the latency histogram has something to show.
 */
import { type DemoOrigin, serveOnLoopback } from '@pingora-ts/app-demo-origin';

export function startDemoOrigin(): Promise<DemoOrigin> {
  return serveOnLoopback((req, res) => {
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
}
