/**
 * Test upstreams on 127.0.0.1: a TCP server that can be stopped and started
 * again on the same port (an upstream killed and restarted), and a raw
 * server answering every connection with given bytes (or nothing at all).
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

export class TestUpstream implements AsyncDisposable {
  port = 0;
  connections = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #onConnection: (socket: Socket) => void;

  constructor(onConnection: (socket: Socket) => void = (s) => s.end()) {
    this.#onConnection = onConnection;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      this.#onConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Closes the listener and every open connection, as if the process died. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Answers each request with `response` once the request head has arrived; undefined: never answers. */
export function rawHttp(response: string | Buffer | undefined): TestUpstream {
  return new TestUpstream((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (response !== undefined && head.includes('\r\n\r\n')) {
        socket.end(response);
      }
    });
  });
}

/** A port with nothing listening (bound once, then released). */
export async function closedPort(): Promise<number> {
  const up = await new TestUpstream().start();
  const port = up.port;
  await up.stop();
  return port;
}
