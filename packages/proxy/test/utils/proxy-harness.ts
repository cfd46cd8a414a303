/**
 * Starts an HttpProxy for a ProxyHttp implementation on 127.0.0.1 port 0,
 * through core's HttpServer and ListeningService like a real server does,
 * and tears it down with `await using`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import {
  HttpConnector,
  HttpServer,
  type HttpServerOptions,
  type ServerApp,
  Stream,
} from '@pingora-ts/core';
import type { ProxyFailureFields } from '../../src/error-log.ts';
import { HttpProxy, type HttpProxyOptions } from '../../src/http-proxy.ts';
import type { ProxyHttp } from '../../src/proxy-http.ts';

export interface ProxyUnderTest<Ctx> extends AsyncDisposable {
  readonly proxy: HttpProxy<Ctx>;
  readonly connector: HttpConnector;
  readonly port: number;
  readonly url: string;
  /** Error-log lines: `err` is the error's message, `fields` the whole object logged. */
  readonly errors: Array<
    Omit<ProxyFailureFields, 'err'> & { err: string; fields: ProxyFailureFields }
  >;
}

export async function startProxy<Ctx>(
  inner: ProxyHttp<Ctx>,
  options: Partial<HttpProxyOptions> = {},
  serverOptions: HttpServerOptions = {},
): Promise<ProxyUnderTest<Ctx>> {
  const connector = (options.connector as HttpConnector | undefined) ?? new HttpConnector();
  const errors: ProxyUnderTest<Ctx>['errors'] = [];
  const logger = {
    error: (obj: ProxyFailureFields) => {
      errors.push({ ...obj, err: obj.err.message, fields: obj });
    },
    warn: () => {},
  };
  const proxy = new HttpProxy(inner, {
    connector,
    logger: logger as unknown as NonNullable<HttpProxyOptions['logger']>,
    ...options,
  });
  const served = await serveApp(new HttpServer(proxy, serverOptions));
  return {
    proxy,
    connector,
    port: served.port,
    url: `http://127.0.0.1:${served.port}`,
    errors,
    async [Symbol.asyncDispose]() {
      connector.close();
      await served[Symbol.asyncDispose]();
    },
  };
}

export interface ServedApp extends AsyncDisposable {
  readonly port: number;
}

/** Serves any ServerApp (e.g. the HttpServer of `httpProxyService(...).app`) on 127.0.0.1 port 0. */
export async function serveApp(app: ServerApp): Promise<ServedApp> {
  const controller = new AbortController();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const done = app.processNewConnection(new Stream(socket), controller.signal);
    Promise.resolve(done).then(
      () => {
        if (!socket.destroyed) socket.end();
      },
      () => socket.destroy(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async [Symbol.asyncDispose]() {
      controller.abort();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
