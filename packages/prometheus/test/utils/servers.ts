/**
 * Test servers: a core Server running listening services on 127.0.0.1 port
 * 0 with a silent logger, and a plain node:net TCP server standing in for
 * an upstream, each released with `await using`.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  createServerLogger,
  DEFAULT_SERVER_CONF,
  type ListeningService,
  type Logger,
  type RunningServer,
  Server,
  type SocketAddr,
} from '@pingora-ts/core';

export const quietLogger: Logger = createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' });

export function portOf(addr: SocketAddr | undefined): number {
  if (addr?.kind !== 'inet') throw new Error('not an inet address');
  return addr.port;
}

export interface RunningServices extends AsyncDisposable {
  readonly running: RunningServer;
  /** The first bound port of each service, in order. */
  readonly ports: number[];
}

export async function runServices(...services: ListeningService[]): Promise<RunningServices> {
  const server = new Server({
    logger: quietLogger,
    conf: { gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 0.2 },
  });
  for (const s of services) server.addService(s);
  const running = server.run();
  try {
    const ports = [];
    for (const s of services) ports.push(portOf((await s.listening)[0]));
    await running.ready;
    return { running, ports, [Symbol.asyncDispose]: () => running.shutdown({ graceful: false }) };
  } catch (err) {
    await running.shutdown({ graceful: false });
    throw err;
  }
}

export interface TcpOrigin extends AsyncDisposable {
  readonly address: string;
  readonly port: number;
  /** Closes every connection the origin holds (idle pooled ones included). */
  dropConnections(): void;
}

/** A TCP server that accepts and holds connections without writing. */
export async function startTcpOrigin(): Promise<TcpOrigin> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
