/**
 * httpProxyService (Pingora's http_proxy_service): the few lines every proxy
 * app needs, once. It wires a ProxyHttp into an HttpProxy configured from
 * the server's settings (pooled connector, max_retries, the timeout keys,
 * and the server's logger when given the Server), wraps it in core's
 * HttpServer, and returns a ListeningService to add addresses to, with
 * tls-openssl on both TLS sides: the connector's upstream TLS and the
 * listeners' backend (addTls).
 */
import {
  type H1ServerOptions,
  type H2ServerOptions,
  HttpConnector,
  HttpServer,
  h1TimeoutsFromServerConf,
  ListeningService,
  type Logger,
  proxyTimeoutsFromServerConf,
  type Server,
  type ServerConf,
} from '@pingora-ts/core';
import type { TlsBackend } from '@pingora-ts/core/tls';
import { opensslTlsBackend, upstreamTlsFromServerConf } from '@pingora-ts/tls-openssl';
import { HttpProxy, type HttpProxyOptions } from './http-proxy.ts';
import type { ProxyHttp } from './proxy-http.ts';

export interface HttpProxyServiceOptions {
  /** Service name in logs (default `proxy`). */
  name?: string;
  /**
   * The error log, for failures and refused requests. Default: the server's
   * logger (a child tagged with the service name) when given the Server.
   */
  logger?: Logger;
  /** HTTP/1 limits and timeouts of downstream connections. */
  h1?: H1ServerOptions;
  /** HTTP/2 limits and timeouts of downstream connections (h2c, or ALPN h2 on TLS). */
  h2?: H2ServerOptions;
  /** Serve h2c (HTTP/2 prior knowledge) beside HTTP/1 on plaintext listeners. Default false. */
  h2c?: boolean;
  /** Overrides of the HttpProxy options taken from the server settings. */
  proxy?: Partial<HttpProxyOptions>;
  /** The backend of TLS listeners (default tls-openssl's `opensslTlsBackend`). */
  tlsBackend?: TlsBackend;
}

/**
 * A listening service running `inner` as an HTTP proxy under the settings of
 * `server` (its configuration and logger) or of a bare ServerConf.
 */
export function httpProxyService<Ctx>(
  server: Pick<Server, 'configuration' | 'logger'> | ServerConf,
  inner: ProxyHttp<Ctx>,
  options: HttpProxyServiceOptions = {},
): ListeningService<HttpServer> {
  const name = options.name ?? 'proxy';
  const conf = 'configuration' in server ? server.configuration : server;
  const logger =
    options.logger ??
    ('configuration' in server ? server.logger.child({ service: name }) : undefined);
  const proxyOptions: HttpProxyOptions = {
    // TLS upstreams are verified against the conf's ca_file (else the system store).
    connector: HttpConnector.fromServerConf(conf, undefined, upstreamTlsFromServerConf(conf)),
    maxRetries: conf.maxRetries,
    ...proxyTimeoutsFromServerConf(conf),
    ...options.proxy,
  };
  if (logger !== undefined && proxyOptions.logger === undefined) proxyOptions.logger = logger;
  const proxy = new HttpProxy(inner, proxyOptions);
  const serverOptions: {
    h1?: H1ServerOptions;
    h2?: H2ServerOptions;
    h2c?: boolean;
    logger?: Logger;
  } = {
    // The server's downstream_*_timeout_seconds, unless the caller's h1 options say otherwise.
    h1: { ...h1TimeoutsFromServerConf(conf), ...options.h1 },
  };
  if (options.h2 !== undefined) serverOptions.h2 = options.h2;
  if (options.h2c !== undefined) serverOptions.h2c = options.h2c;
  if (logger !== undefined) serverOptions.logger = logger;
  return new ListeningService(name, new HttpServer(proxy, serverOptions), {
    tlsBackend: options.tlsBackend ?? opensslTlsBackend,
  });
}
