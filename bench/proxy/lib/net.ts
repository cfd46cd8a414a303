/**
 * Loopback helpers of the proxy benchmark: a free port, waiting until a
 * started process listens (bounded, and failing fast when it exits), and a
 * one-shot HTTP GET on a fresh connection (to validate a proxy and to read the
 * origin's stub_status).
 */
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Child } from './children.ts';

export const HOST = '127.0.0.1';

/** A port that was free a moment ago (the OS picks it; the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: HOST, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Waits until `port` accepts connections; throws if `child` exits first or after `timeoutMs`. */
export async function waitForPort(port: number, child: Child, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const code = child.exitCode();
    if (code !== undefined) {
      throw PingoraError.explain(
        ErrorType.ConnectRefused,
        `${child.name} exited (code ${code}) before listening on ${port}:\n${child.logTail()}`,
      );
    }
    if (await tryConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw PingoraError.explain(
    ErrorType.ConnectTimedout,
    `${child.name} did not listen on ${HOST}:${port} within ${timeoutMs} ms:\n${child.logTail()}`,
  );
}

export interface GetResult {
  status: number;
  body: Buffer;
}

/** GET `path` on a new connection (no agent), bounded by `timeoutMs` and 1 MiB of body. */
export function httpGet(port: number, path: string, timeoutMs = 5000): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1 << 20) {
          req.destroy(PingoraError.explain(ErrorType.ReadError, `GET ${path}: body over 1 MiB`));
          return;
        }
        chunks.push(chunk);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    req.once('timeout', () =>
      req.destroy(PingoraError.explain(ErrorType.ReadTimedout, `GET :${port}${path} timed out`)),
    );
    req.once('error', (err) =>
      reject(PingoraError.because(ErrorType.ReadError, `GET :${port}${path}`, err)),
    );
    req.end();
  });
}
