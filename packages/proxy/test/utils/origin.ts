/**
 * Test origins: real HTTP/1.1 servers on 127.0.0.1 port 0 that the proxy
 * under test forwards to. `startOrigin` takes a node:http handler; the
 * default one echoes what it received, streams sized bodies and stalls on
 * request, which covers most proxy behaviours.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Origin extends AsyncDisposable {
  readonly server: Server;
  readonly port: number;
  readonly address: string;
  /** Requests received so far, in order. */
  readonly requests: Array<{
    method: string;
    url: string;
    rawHeaders: string[];
    bodyBytes: number;
  }>;
  close(): Promise<void>;
}

export async function startOrigin(handler: RequestListener = defaultHandler): Promise<Origin> {
  const requests: Origin['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      bodyBytes: 0,
    };
    requests.push(entry);
    req.on('data', (c: Buffer) => {
      entry.bodyBytes += c.length;
    });
    handler(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * /echo: 200 with a JSON summary (method, url, headers as raw pairs, body
 * length and sha-free checksum); /size/<n>: n bytes of a repeating pattern
 * (chunked unless ?cl); /stall: headers then never a body; anything else:
 * "hello from origin".
 */
export function defaultHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  if (url.startsWith('/echo')) {
    let bytes = 0;
    let sum = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      for (let i = 0; i < c.length; i += 4096) sum = (sum + c[i]!) % 65521;
    });
    req.on('end', () => {
      const body = JSON.stringify({
        method: req.method,
        url,
        rawHeaders: req.rawHeaders,
        bytes,
        sum,
      });
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    });
    return;
  }
  const size = /^\/size\/(\d+)/.exec(url);
  if (size !== null) {
    const n = Number(size[1]);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream' };
    if (url.includes('cl')) headers['Content-Length'] = n;
    res.writeHead(200, headers);
    streamPattern(res, n);
    return;
  }
  if (url.startsWith('/stall')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 10 });
    res.write('12345');
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'X-Origin-Port': String(req.socket.localPort),
    });
    res.end('hello from origin');
  });
}

const PATTERN = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');

/** Writes `n` bytes of PATTERN with backpressure, then ends. */
export function streamPattern(res: ServerResponse, n: number): void {
  let left = n;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= PATTERN.length ? PATTERN : PATTERN.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
