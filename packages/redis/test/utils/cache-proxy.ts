/**
 * A caching proxy over a given Storage (and optionally a cache lock), served
 * on 127.0.0.1 port 0 the way a server does (core's HttpServer around an
 * HttpProxy): caches every GET by Host + target, purges on PURGE and answers
 * X-Cache-Status. Plus an origin that counts its requests (and how many were
 * in flight at once), and can answer slowly, stall or refuse to be cached.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { CacheKey, type CacheKeyLock, pingoraPolicy, type Storage } from '@pingora-ts/cache';
import { HttpConnector, HttpPeer, HttpServer, Stream } from '@pingora-ts/core';
import { HttpProxy, type HttpProxyOptions, type ProxyHttp } from '@pingora-ts/proxy';

export interface Served extends AsyncDisposable {
  readonly port: number;
}

export async function startCachingProxy(
  storage: Storage,
  origin: () => string,
  lock?: CacheKeyLock,
): Promise<Served> {
  const inner: ProxyHttp<null> = {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(origin()),
    requestCacheFilter(s) {
      s.cache.enable({ storage, policy: pingoraPolicy(), lock });
    },
    cacheKeyCallback: (s) =>
      CacheKey.default(s.reqHeader.getHeader('host') ?? '', s.reqHeader.target),
    isPurge: (s) => s.reqHeader.method === 'PURGE',
    responseFilter(s, resp) {
      resp.insertHeader('X-Cache-Status', s.cacheState?.statusText ?? 'BYPASS');
    },
  };
  const connector = new HttpConnector();
  const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
  const proxy = new HttpProxy(inner, {
    connector,
    logger: quiet as unknown as NonNullable<HttpProxyOptions['logger']>,
  });
  const app = new HttpServer(proxy);
  const controller = new AbortController();
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    Promise.resolve(app.processNewConnection(new Stream(socket), controller.signal)).then(
      () => socket.destroyed || socket.end(),
      () => socket.destroy(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      controller.abort();
      connector.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface CountingOrigin extends AsyncDisposable {
  readonly address: string;
  count(path: string): number;
  /** The most requests for `path` the origin had in flight at once. */
  maxInFlight(path: string): number;
  /** Answers every stalled request (see OriginOptions.stall). */
  unstall(): void;
}

export interface OriginOptions {
  /** Waits this long before answering. */
  delayMs?: number;
  /** The body of a path (default `body of <path>`). */
  body?: (path: string) => Buffer;
  /** Paths answered `Cache-Control: no-store`. */
  uncacheable?: (path: string) => boolean;
  /** The first request of a matching path hangs until unstall() (a stalled writer). */
  stall?: (path: string) => boolean;
  /** Freshness of a 200 (default 60 s); every answer carries ETag "v1" and If-None-Match gets a 304. */
  maxAgeSec?: number;
}

export async function startOrigin(options: OriginOptions = {}): Promise<CountingOrigin> {
  const hits = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  const stalled: (() => void)[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const now = (inFlight.get(path) ?? 0) + 1;
    inFlight.set(path, now);
    peak.set(path, Math.max(peak.get(path) ?? 0, now));
    const body = options.body?.(path) ?? Buffer.from(`body of ${path}`);
    const answer = () => {
      inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
      const cc =
        options.uncacheable?.(path) === true ? 'no-store' : `max-age=${options.maxAgeSec ?? 60}`;
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { 'Cache-Control': cc, ETag: '"v1"' });
        res.end();
        return;
      }
      res.writeHead(200, { 'Cache-Control': cc, ETag: '"v1"', 'Content-Length': body.length });
      res.end(body);
    };
    if (n === 1 && options.stall?.(path) === true) stalled.push(answer);
    else if (options.delayMs !== undefined) setTimeout(answer, options.delayMs);
    else answer();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const unstall = () => {
    for (const f of stalled.splice(0)) f();
  };
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (p) => hits.get(p) ?? 0,
    maxInFlight: (p) => peak.get(p) ?? 0,
    unstall,
    async [Symbol.asyncDispose]() {
      unstall();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
