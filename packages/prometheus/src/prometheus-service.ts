/**
 * prometheusHttpService (Pingora's Service::prometheus_http_service): a
 * ListeningService serving the metrics app, to add to a Server. Pass an
 * address (`127.0.0.1:6150`, `[::1]:6150` or `unix:/path`) or add endpoints
 * to the returned service yourself.
 */
import {
  type H1ServerOptions,
  type HttpServer,
  ListeningService,
  type ListeningServiceOptions,
  type Logger,
} from '@pingora-ts/core';
import { type PrometheusHttpAppOptions, prometheusServer } from './prometheus-app.ts';

/** Pingora's name for the service. */
export const PROMETHEUS_SERVICE_NAME = 'Prometheus metric HTTP';

export interface PrometheusHttpServiceOptions extends PrometheusHttpAppOptions {
  /** Where refused requests and app failures are logged (e.g. `server.logger`). */
  logger?: Logger;
  /** HTTP/1 limits and timeouts of scraper connections. */
  h1?: H1ServerOptions;
  /** Connection filter and limits of the listening service. */
  listening?: ListeningServiceOptions;
}

export function prometheusHttpService(
  name: string = PROMETHEUS_SERVICE_NAME,
  addr?: string,
  options: PrometheusHttpServiceOptions = {},
): ListeningService<HttpServer> {
  const { logger, h1, listening, ...app } = options;
  const server: { logger?: Logger; h1?: H1ServerOptions } = {};
  if (logger !== undefined) server.logger = logger;
  if (h1 !== undefined) server.h1 = h1;
  const service = new ListeningService(name, prometheusServer(app, server), listening);
  if (addr !== undefined) {
    if (addr.startsWith('unix:')) service.addUds(addr.slice('unix:'.length));
    else service.addTcp(addr);
  }
  return service;
}
