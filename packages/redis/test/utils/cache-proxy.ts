/**
 * A caching proxy over a given Storage, served on 127.0.0.1 port 0 the way
 * a server does (core's HttpServer around an HttpProxy): caches every GET by
 * Host + target, purges on PURGE and answers X-Cache-Status. Plus an origin
 * that counts its requests.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { CacheKey, pingoraPolicy, type Storage } from '@pingora-ts/cache';
import { HttpConnector, HttpPeer, HttpServer, Stream } from '@pingora-ts/core';
import { HttpProxy, type HttpProxyOptions, type ProxyHttp } from '@pingora-ts/proxy';

export interface Served extends AsyncDisposable {
  readonly port: number;
}

export async function startCachingProxy(storage: Storage, origin: () => string): Promise<Served> {
  const inner: ProxyHttp<null> = {
    newCtx: () => null,
    upstreamPeer: () => new HttpPeer(origin()),
    requestCacheFilter(s) {
      s.cache.enable({ storage, policy: pingoraPolicy() });
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
}

export async function startOrigin(): Promise<CountingOrigin> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = `body of ${path}`;
    res.writeHead(200, {
      'Cache-Control': 'max-age=60',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (p) => hits.get(p) ?? 0,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
