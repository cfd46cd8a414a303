/**
 * The idle keep-alive measurement: open N connections to a proxy, send one
 * request on each (at most `batch` in flight, so no peer needs more than
 * `batch` upstream connections), read each response, and leave the
 * connections open and idle. The caller reads the proxy's RSS before and
 * while they are held; `close()` ends them all. Bounded by `timeoutMs`.
 */
import { connect, type Socket } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { HOST } from './net.ts';

export interface IdleConnections {
  readonly sockets: readonly Socket[];
  /** Connections closed by the peer while held. */
  closedByPeer(): number;
  close(): Promise<void>;
}

/** One request on a new connection; resolves with the socket once the whole response was read. */
function oneRequest(port: number, path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        PingoraError.explain(ErrorType.ReadTimedout, `no response on :${port} in ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const onData = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(got.subarray(0, end).toString('latin1'));
      if (m === null || got.length - end - 4 < Number(m[1])) return;
      clearTimeout(timer);
      sock.off('data', onData);
      resolve(sock);
    };
    sock.on('data', onData);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(PingoraError.because(ErrorType.ReadError, `request on :${port}`, err));
    });
    sock.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  });
}

export async function openIdle(
  port: number,
  path: string,
  n: number,
  batch: number,
  timeoutMs: number,
): Promise<IdleConnections> {
  const deadline = Date.now() + timeoutMs;
  const sockets: Socket[] = [];
  let closed = 0;
  try {
    while (sockets.length < n) {
      if (Date.now() > deadline) {
        throw PingoraError.explain(
          ErrorType.ConnectTimedout,
          `opened only ${sockets.length} of ${n} connections in ${timeoutMs} ms`,
        );
      }
      const k = Math.min(batch, n - sockets.length);
      const opened = await Promise.all(
        Array.from({ length: k }, () => oneRequest(port, path, 10_000)),
      );
      for (const s of opened) {
        s.once('close', () => closed++);
        s.on('error', () => {});
        sockets.push(s);
      }
    }
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  }
  return {
    sockets,
    closedByPeer: () => closed,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
    },
  };
}
