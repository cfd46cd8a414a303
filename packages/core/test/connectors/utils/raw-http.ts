/**
 * One HTTP/1.1 exchange written and read by hand over a connected socket,
 * for transport-level tests that must not depend on the codec: sends a GET
 * and reads one Content-Length response, then detaches its listeners.
 */
import type { Socket } from 'node:net';

export function rawGet(socket: Socket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error('no response in time')), timeoutMs);
    const done = (err?: Error, body?: string): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
      if (err !== undefined) reject(err);
      else resolve(body as string);
    };
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 'NaN');
      if (text.length >= end + 4 + length) done(undefined, text.slice(end + 4, end + 4 + length));
    };
    const onError = (err: Error): void => done(err);
    const onEnd = (): void => done(new Error(`connection closed after ${text.length} bytes`));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
  });
}

export async function until(check: () => boolean, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
