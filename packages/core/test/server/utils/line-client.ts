/**
 * A client for the line-server fixture: connect, send request lines, read
 * answer lines, observe the close. Every wait has a time limit.
 */
import { connect, type Socket } from 'node:net';

export interface LineClient {
  readonly socket: Socket;
  send(line: string): void;
  /** The next answer line (rejects after `ms` or on close). */
  line(ms?: number): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed(ms?: number): Promise<void>;
}

export function lineClient(port: number): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = '';
    let waiter: (() => void) | undefined;
    let isClosed = false;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buffered += d;
      waiter?.();
    });
    socket.on('close', () => {
      isClosed = true;
      waiter?.();
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve({
        socket,
        send: (line) => socket.write(`${line}\n`),
        line(ms = 10_000) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error('no answer line in time')), ms);
            const check = () => {
              const nl = buffered.indexOf('\n');
              if (nl >= 0) {
                const out = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                clearTimeout(timer);
                waiter = undefined;
                res(out);
              } else if (isClosed) {
                clearTimeout(timer);
                waiter = undefined;
                rej(new Error('connection closed before an answer line'));
              }
            };
            waiter = check;
            check();
          });
        },
        closed(ms = 10_000) {
          return new Promise((res, rej) => {
            if (isClosed) return res();
            const timer = setTimeout(() => rej(new Error('connection not closed in time')), ms);
            socket.once('close', () => {
              clearTimeout(timer);
              res();
            });
          });
        },
      });
    });
  });
}

/** Resolves true if a new connection to `port` is refused. */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
