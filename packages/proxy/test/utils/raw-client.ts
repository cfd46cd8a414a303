/**
 * A keep-alive HTTP/1 client on a raw socket, for byte-exact checks over
 * several requests on one connection: `send` writes bytes and resolves with
 * the next whole response (head plus Content-Length body) as latin1 text.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';

export async function rawClient(
  port: number,
): Promise<{ send(bytes: string): Promise<string>; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    waiter?.();
  });
  const complete = (): number => {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return -1;
    const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text.slice(0, end + 2));
    const total = end + 4 + Number(m?.[1] ?? 0);
    return text.length >= total ? total : -1;
  };
  return {
    socket,
    async send(bytes) {
      socket.write(bytes, 'latin1');
      for (let i = 0; i < 400 && complete() < 0; i++) {
        await Promise.race([
          new Promise<void>((r) => {
            waiter = r;
          }),
          new Promise((r) => setTimeout(r, 10)),
        ]);
      }
      const n = complete();
      expect(n).toBeGreaterThan(0);
      const out = text.slice(0, n);
      text = text.slice(n);
      return out;
    },
  };
}
