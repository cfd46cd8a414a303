/**
 * Test upstreams on 127.0.0.1 port 0: a TCP server that counts accepted
 * connections and runs a handler per socket, a minimal keep-alive HTTP/1.1
 * origin written by hand (so tests control its keep-alive timeout), and a
 * CONNECT proxy that tunnels to any local target.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  readonly sockets: Set<Socket>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function tcpServer(
  onSocket: (socket: Socket) => void,
  listen: { host?: string; path?: string } = {},
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => {
    if (listen.path !== undefined) server.listen(listen.path, resolve);
    else server.listen(0, listen.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? (address as AddressInfo).port : 0,
    accepted: () => accepted,
    sockets,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface OriginOptions {
  /** Close a connection idle this long after a response (the origin's keepalive_timeout). */
  keepAliveTimeoutMs?: number;
  /** Body of every response; default "ok". */
  body?: string;
  /** Ask the client to close after this many requests on a connection. */
  maxRequestsPerConnection?: number;
  /** Listen on this Unix socket path instead of 127.0.0.1. */
  path?: string;
}

/**
 * A minimal HTTP/1.1 keep-alive origin: answers each request head (no
 * request bodies) with 200 and a Content-Length body.
 */
export function httpOrigin(options: OriginOptions = {}): Promise<TestServer> {
  const body = Buffer.from(options.body ?? 'ok');
  return tcpServer(
    (socket) => {
      let buffered = '';
      let served = 0;
      let idleTimer: NodeJS.Timeout | undefined;
      const armIdle = (): void => {
        if (options.keepAliveTimeoutMs === undefined) return;
        idleTimer = setTimeout(() => socket.end(), options.keepAliveTimeoutMs);
      };
      socket.on('data', (chunk: Buffer) => {
        if (idleTimer !== undefined) clearTimeout(idleTimer);
        buffered += chunk.toString('latin1');
        let end = buffered.indexOf('\r\n\r\n');
        while (end >= 0) {
          buffered = buffered.slice(end + 4);
          served++;
          const last =
            options.maxRequestsPerConnection !== undefined &&
            served >= options.maxRequestsPerConnection;
          const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
          socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
          if (last) {
            socket.end();
            return;
          }
          end = buffered.indexOf('\r\n\r\n');
        }
        armIdle();
      });
      armIdle();
    },
    options.path === undefined ? {} : { path: options.path },
  );
}

export interface ProxyOptions {
  /** Answer with this status line instead of tunnelling. */
  refuseWith?: string;
  /** Send this raw response instead of a 200 (for malformed answers). */
  rawResponse?: string;
  /** Never answer. */
  hang?: boolean;
  /** Bytes to send after a 200 head, before the target's own bytes. */
  earlyTunnelBytes?: string;
  /** Listen on this Unix socket path instead of 127.0.0.1. */
  path?: string;
}

/** A CONNECT proxy for tests; records each CONNECT request head it receives. */
export async function connectProxy(
  options: ProxyOptions = {},
): Promise<TestServer & { heads: string[] }> {
  const heads: string[] = [];
  const server = await tcpServer(
    (socket) => {
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.removeListener('data', onData);
        const head = buffered.toString('latin1', 0, end + 4);
        heads.push(head);
        const rest = buffered.subarray(end + 4);
        if (options.hang === true) return;
        if (options.rawResponse !== undefined) {
          socket.end(options.rawResponse);
          return;
        }
        if (options.refuseWith !== undefined) {
          socket.end(`HTTP/1.1 ${options.refuseWith}\r\nContent-Length: 0\r\n\r\n`);
          return;
        }
        const [, authority] = /^CONNECT (\S+) HTTP\/1\.1\r\n/.exec(head) ?? [];
        const colon = authority?.lastIndexOf(':') ?? -1;
        const host = authority?.slice(0, colon).replace(/^\[|\]$/g, '') ?? '';
        const port = Number(authority?.slice(colon + 1));
        const upstream = connect(port, host);
        upstream.on('error', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
        upstream.on('connect', () => {
          socket.write(
            `HTTP/1.1 200 Connection Established\r\n\r\n${options.earlyTunnelBytes ?? ''}`,
          );
          if (rest.length > 0) upstream.write(rest);
          socket.pipe(upstream);
          upstream.pipe(socket);
        });
      };
      socket.on('data', onData);
    },
    options.path === undefined ? {} : { path: options.path },
  );
  return Object.assign(server, { heads });
}
