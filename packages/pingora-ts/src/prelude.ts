/**
 * The prelude (Pingora's `pingora::prelude`): the few names most proxy apps
 * need, re-exported from their home packages so one import line covers a
 * typical server: the Server and its services, peers, the proxy phases,
 * errors, headers, load balancing and metrics.
 */
export {
  type BackgroundService,
  backgroundService,
  HttpPeer,
  HttpServer,
  ListeningService,
  Server,
  type ServerConf,
  type ServerOptions,
  type Service,
  serveHttp,
} from '@pingora-ts/core';
export { ErrorSource, ErrorType, PingoraError } from '@pingora-ts/error';
export { RequestHeader, ResponseHeader } from '@pingora-ts/http';
export { Backend, LoadBalancer, RoundRobin, TcpHealthCheck } from '@pingora-ts/load-balancing';
export { PrometheusMetrics, prometheusHttpService } from '@pingora-ts/prometheus';
export { HttpProxy, httpProxyService, type ProxyHttp, Session } from '@pingora-ts/proxy';
