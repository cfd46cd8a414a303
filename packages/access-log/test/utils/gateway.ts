/**
 * A real gateway for the access-log tests: a Server built from YAML text
 * (so the `access_log` section is read as in production), an HttpProxy
 * through httpProxyService to a node:http origin on 127.0.0.1 port 0, and
 * helpers to wait for the lines the asynchronous destination writes.
 */
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpPeer, type RunningServer, Server } from '@pingora-ts/core';
import { httpProxyService, type ProxyHttp } from '@pingora-ts/proxy';
import { pino } from 'pino';
import { AccessLog } from '../../src/access-log.ts';

export interface Origin extends AsyncDisposable {
  readonly address: string;
  readonly seen: IncomingHttpHeaders[];
}

/** An origin that records request headers; `/slow` answers after 40 ms. */
export async function startOrigin(): Promise<Origin> {
  const seen: IncomingHttpHeaders[] = [];
  const handler: RequestListener = (req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      const send = () => res.end('hello origin');
      if (req.url?.startsWith('/slow')) setTimeout(send, 40);
      else send();
    });
  };
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Gateway extends AsyncDisposable {
  readonly port: number;
  readonly accessLog: AccessLog | undefined;
  readonly run: RunningServer;
}

/** A gateway whose YAML is `yaml`, proxying every request to `upstream`. */
export async function startGateway(yaml: string, upstream: string): Promise<Gateway> {
  const server = new Server({ confText: yaml, logger: silentLogger() });
  const accessLog = AccessLog.fromServer(server);
  const inner: ProxyHttp<null> = {
    newCtx: () => null,
    earlyRequestFilter: (s) => {
      accessLog?.tagRequest(s);
    },
    upstreamPeer: () => new HttpPeer(upstream),
    logging: (s, e) => accessLog?.log(s, e),
  };
  const service = httpProxyService(server, inner);
  service.addTcp('127.0.0.1:0');
  server.addService(service);
  const run = server.run();
  const [bound] = await service.listening;
  if (bound === undefined || bound.kind !== 'inet') throw new Error('gateway not listening');
  return {
    port: bound.port,
    accessLog,
    run,
    async [Symbol.asyncDispose]() {
      await run.shutdown({ graceful: false });
    },
  };
}

function silentLogger() {
  return pino({ level: 'silent' });
}

/** Waits (at most 3 s) until `file` holds `count` lines; returns them. */
export async function waitForLines(file: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const lines = text.split('\n').filter((l) => l !== '');
    if (lines.length >= count) return lines;
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} lines in ${file}, got ${lines.length}: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
