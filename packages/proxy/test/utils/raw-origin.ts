/**
 * A scripted origin on a plain TCP socket, for faults node:http will not
 * produce: an unsolicited 101, a hung upstream that accepts and never
 * answers, a body cut short on a close-delimited response. `script` is
 * called once per complete request head with the connection's socket.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';

export interface RawOrigin extends AsyncDisposable {
  readonly port: number;
  readonly address: string;
  /** Request heads received, in order (latin1 text). */
  readonly heads: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startRawOrigin(
  script: (socket: Socket, head: string, index: number) => void,
): Promise<RawOrigin> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        const head = text.slice(0, end + 4);
        text = text.slice(end + 4);
        heads.push(head);
        script(socket, head, heads.length - 1);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    heads,
    get connections() {
      return connections;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
