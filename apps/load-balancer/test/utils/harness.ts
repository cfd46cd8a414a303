/**
 * Test harness of the gateway: origins on 127.0.0.1 port 0 that name
 * themselves in X-Origin (and can hold a request, fail health checks, drop
 * requests, stop
 * and come back on the same port), the gateway run in-process from YAML
 * through addGateway (as main.ts does), and a small GET client.
 */
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServerLogger, DEFAULT_SERVER_CONF, Server as PingoraServer } from '@pingora-ts/core';
import { addGateway, type Gateway } from '../../src/gateway.ts';

export class Origin {
  readonly name: string;
  port = 0;
  /** Status of GET /health. */
  healthStatus = 200;
  /** GET /health requests seen. */
  healthChecks = 0;
  /** Drop the connection instead of answering (anything but /health). */
  crash = false;
  /** Requests to /hold wait here until release() (or the origin stops). */
  readonly held = new Set<() => void>();
  #server: Server | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after stop()). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      req.resume();
      const answer = (status: number) => {
        res.writeHead(status, { 'X-Origin': this.name, 'Content-Length': this.name.length });
        res.end(this.name);
      };
      if (req.url === '/health') {
        this.healthChecks++;
        answer(this.healthStatus);
      } else if (this.crash) req.socket.destroy();
      else if (req.url === '/hold') this.held.add(() => answer(200));
      else answer(200);
    });
    server.keepAliveTimeout = 60_000;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Answers every held request. */
  release(): void {
    for (const answer of this.held) answer();
    this.held.clear();
  }

  /** Stops listening and drops every connection (a dead upstream). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.held.clear();
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function origins(...names: string[]): Promise<Origin[]> {
  return Promise.all(names.map((n) => new Origin(n).start()));
}

export interface Reply {
  status: number;
  origin: string;
}

/** Reuses connections: fewer sockets in TIME_WAIT over hundreds of requests. */
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, method, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, origin: String(res.headers['x-origin']) }),
      );
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Drops the client's idle keep-alive connections (call after each test). */
export function closeClients(): void {
  agent.destroy();
}

/** `count` sequential GETs. */
export async function getMany(port: number, count: number, path = '/'): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < count; i++) out.push(await get(port, path));
  return out;
}

export interface RunningGateway extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly port: number;
}

/** Runs the gateway from `section` (the YAML under `load_balancer:`, indented by two). */
export async function startGateway(section: string, top = ''): Promise<RunningGateway> {
  const confText = `version: 1\n${top}load_balancer:\n  listen: ["127.0.0.1:0"]\n${section}`;
  const server = new PingoraServer({
    confText,
    logger: createServerLogger(DEFAULT_SERVER_CONF, { level: 'silent' }),
  });
  const gateway = await addGateway(server);
  const run = server.run();
  try {
    const [bound] = await gateway.proxy.listening;
    await run.ready;
    if (bound?.kind !== 'inet') throw new TypeError('the gateway did not bind a TCP port');
    return { gateway, port: bound.port, [Symbol.asyncDispose]: () => run[Symbol.asyncDispose]() };
  } catch (err) {
    await run[Symbol.asyncDispose]();
    throw err;
  }
}

/** Polls `probe` every 20 ms until it returns true or `ms` pass; returns the last result. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  ms = 10_000,
): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
