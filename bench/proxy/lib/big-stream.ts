/**
 * The large-body measurement: an origin in the runner's process that serves
 * and checks pattern bodies of any size (GET /big/N answers N bytes; a POST
 * answers `ok <bytes>` or `bad <offset>`), and a client that sends or fetches
 * one such body through a proxy on one connection, checking every byte,
 * keeping none, within a time limit.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { HOST } from './net.ts';
import { firstMismatch, writePattern } from './pattern.ts';

export interface PatternOrigin {
  readonly port: number;
  close(): Promise<void>;
}

export async function startPatternOrigin(): Promise<PatternOrigin> {
  const server: Server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    if (req.method === 'POST') {
      let at = 0;
      let bad = -1;
      req.on('data', (c: Buffer) => {
        if (bad < 0) bad = firstMismatch(c, at);
        at += c.length;
      });
      req.on('end', () => res.end(bad < 0 ? `ok ${at}` : `bad ${bad}`));
      return;
    }
    const m = /^\/big\/(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(200, { 'Content-Length': '5' });
      res.end('small');
      return;
    }
    const size = Number(m[1]);
    res.writeHead(200, { 'Content-Length': String(size) });
    writePattern(res, size, () => res.end());
  });
  server.listen(0, HOST);
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Parses `HTTP/1.1 <status> ...\r\n...\r\n\r\n` from `buf`: [status, content-length, body start] or undefined. */
function head(buf: Buffer): [number, number, number] | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const text = buf.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? -1);
  return [status, length, end + 4];
}

/** Sends `size` pattern bytes as a POST through the proxy on `port`; resolves once the origin said they were intact. */
export function upload(port: number, size: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    let got = Buffer.alloc(0);
    const fail = (why: string) => {
      clearTimeout(timer);
      sock.destroy();
      reject(PingoraError.explain(ErrorType.WriteError, `upload of ${size} bytes: ${why}`));
    };
    const timer = setTimeout(() => fail(`not done in ${timeoutMs} ms`), timeoutMs);
    sock.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const h = head(got);
      if (h === undefined || h[1] < 0 || got.length - h[2] < h[1]) return;
      const answer = got.subarray(h[2], h[2] + h[1]).toString();
      clearTimeout(timer);
      sock.destroy();
      if (h[0] === 200 && answer === `ok ${size}`) resolve();
      else fail(`status ${h[0]}, origin said "${answer}"`);
    });
    sock.once('error', (err) => fail(err.message));
    sock.write(`POST /up HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${size}\r\n\r\n`);
    writePattern(sock, size, () => {});
  });
}

/** Fetches `size` pattern bytes through the proxy on `port`, checking each; resolves when all arrived intact. */
export function download(port: number, size: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    let pending: Buffer | undefined = Buffer.alloc(0);
    let at = 0;
    const fail = (why: string) => {
      clearTimeout(timer);
      sock.destroy();
      reject(PingoraError.explain(ErrorType.ReadError, `download of ${size} bytes: ${why}`));
    };
    const timer = setTimeout(() => fail(`not done in ${timeoutMs} ms (${at} bytes)`), timeoutMs);
    sock.on('data', (c: Buffer) => {
      let body = c;
      if (pending !== undefined) {
        pending = Buffer.concat([pending, c]);
        const h = head(pending);
        if (h === undefined) return;
        if (h[0] !== 200 || h[1] !== size) {
          fail(`status ${h[0]}, Content-Length ${h[1]}`);
          return;
        }
        body = pending.subarray(h[2]);
        pending = undefined;
      }
      const bad = firstMismatch(body, at);
      if (bad >= 0) {
        fail(`wrong byte at offset ${bad}`);
        return;
      }
      at += body.length;
      if (at >= size) {
        clearTimeout(timer);
        sock.destroy();
        resolve();
      }
    });
    sock.once('error', (err) => fail(err.message));
    sock.write(`GET /big/${size} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  });
}
