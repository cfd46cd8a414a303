/**
 * Test HTTP clients shared by the packages' and apps' tests: `httpRequest`
 * over node:http (a fresh connection per request, body as a Buffer, bounded
 * by a timeout) and `rawExchange` over a plain socket for byte-exact checks
 * (header case, truncation, keep-alive) that node:http would normalise away.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

/** What `httpRequest` resolves to: the status, headers and the whole body. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** Options of `httpRequest`; `host` is the address connected to, not the Host header. */
export interface TestRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  host?: string;
  /** Destroys the request with an Error after this long; 0 for no timeout. */
  timeoutMs?: number;
}

/**
 * One request on a fresh connection (`agent: false`) to `host` (127.0.0.1
 * by default); resolves once the whole response body is in. Bounded by
 * `timeoutMs` (15 s by default).
 */
export function httpRequest(
  port: number,
  path: string,
  options: TestRequestOptions = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const timeoutMs = options.timeoutMs ?? 15_000;
    if (timeoutMs > 0) {
      req.setTimeout(timeoutMs, () => req.destroy(new Error('test request timed out')));
    }
    req.end(options.body);
  });
}

/**
 * Sends raw bytes to 127.0.0.1:`port` and returns everything received until
 * the server closes or has been quiet for `idleMs`.
 */
export function rawExchange(port: number, bytes: string | Buffer, idleMs = 1500): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}
