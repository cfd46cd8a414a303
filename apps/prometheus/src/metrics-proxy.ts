/**
 * The metrics sample (Pingora's gateway/server examples with their
 * Prometheus service): a proxy to one upstream whose built-in metrics
 * (connections, upstream pool, requests, phases) come from
 * PrometheusMetrics, plus the app's own counter and latency histogram kept
 * in the logging phase, as Pingora's example keeps its req_metric, all
 * served on a separate /metrics listener; plus the access log, Sentry and
 * tracing when their YAML sections configure them. Imports come from the
 * umbrella and the observability packages.
 */

import { AccessLog } from '@pingora-ts/access-log';
import { demoOriginService } from '@pingora-ts/app-demo-origin';
import { setupTracing } from '@pingora-ts/otel';
import { setupSentry } from '@pingora-ts/sentry';
import {
  core,
  HttpPeer,
  httpProxyService,
  type ListeningService,
  type PingoraError,
  PrometheusMetrics,
  type ProxyHttp,
  prometheus,
  prometheusHttpService,
  type Server,
  type Session,
} from 'pingora-ts';
import { startDemoOrigin } from './demo-origin.ts';

const checkAddr = (value: string): string | undefined => {
  try {
    core.parseSocketAddr(value);
    return undefined;
  } catch {
    return `"${value}" is not "ip:port", "[ipv6]:port" or "unix:/path"`;
  }
};

export const metricsProxyConfigSchema = core.defineConfigSchema({
  listen: core.configField.addressList({ default: ['127.0.0.1:6196'], maxItems: 64 }),
  upstream: core.configField.string({
    default: '',
    check: (v) => (v === '' ? undefined : checkAddr(v)),
  }),
  metricsListen: core.configField.string({
    key: 'metrics_listen',
    default: '127.0.0.1:6150',
    check: checkAddr,
  }),
});

/** The app's own metrics, next to the built-in ones in the same registry. */
class RequestMetrics {
  readonly requests: prometheus.promClient.Counter<'status'>;
  readonly latency: prometheus.promClient.Histogram;

  constructor(registry: prometheus.promClient.Registry) {
    const { Counter, Histogram } = prometheus.promClient;
    this.requests = new Counter({
      name: 'app_requests_total',
      help: 'Requests served by the proxy, by response status',
      labelNames: ['status'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'app_request_duration_seconds',
      help: 'From request head to the end of the response',
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
      registers: [registry],
    });
  }
}

export class MetricsProxy implements ProxyHttp<null> {
  readonly #peer: HttpPeer;
  readonly #metrics: RequestMetrics;
  readonly #accessLog: AccessLog | undefined;
  /** Present only with an access log: the request id (absent, the proxy skips the phase). */
  declare readonly earlyRequestFilter?: (session: Session) => void;

  constructor(
    upstream: string,
    registry: prometheus.promClient.Registry,
    accessLog: AccessLog | undefined = undefined,
  ) {
    this.#peer = new HttpPeer(upstream);
    this.#metrics = new RequestMetrics(registry);
    this.#accessLog = accessLog;
    if (accessLog !== undefined) this.earlyRequestFilter = (s) => void accessLog.tagRequest(s);
  }

  newCtx(): null {
    return null;
  }

  upstreamPeer(): HttpPeer {
    return this.#peer;
  }

  logging(session: Session, error: PingoraError | undefined): void {
    this.#accessLog?.log(session, error);
    // 0: the client went away before any response could be sent.
    const status = session.downstream.responseWritten?.status ?? 0;
    this.#metrics.requests.inc({ status: String(status) });
    this.#metrics.latency.observe((performance.now() - session.startedAt) / 1000);
  }
}

export interface MetricsSample {
  readonly proxy: ListeningService;
  readonly metrics: ListeningService;
}

/** Adds the proxy, its metrics service (and a demo origin when none is configured) to `server`. */
export async function setupMetricsProxy(
  server: Server,
  registry: prometheus.promClient.Registry = prometheus.promClient.register,
): Promise<MetricsSample> {
  const config = server.appConfig(metricsProxyConfigSchema, 'metrics_proxy');
  let upstream = config.upstream;
  if (upstream === '') {
    const demo = await startDemoOrigin();
    upstream = demo.address;
    server.logger.info({ upstream }, 'no upstream configured: started a demo origin');
    server.addService(demoOriginService([demo], 'demo_origin'));
  }
  // Each is off unless its YAML section says otherwise (access_log, sentry, tracing).
  const accessLog = AccessLog.fromServer(server);
  await setupSentry(server);
  await setupTracing(server);
  const builtIn = new PrometheusMetrics({ registry, defaultMetrics: true });
  const proxy = httpProxyService(server, new MetricsProxy(upstream, registry, accessLog), {
    name: 'proxy',
  });
  for (const addr of config.listen) {
    if (addr.startsWith('unix:')) proxy.addUds(addr.slice(5));
    else proxy.addTcp(addr);
  }
  const metrics = prometheusHttpService('metrics', config.metricsListen, {
    registry,
    logger: server.logger,
  });
  server.addService(proxy);
  server.addService(metrics);
  server.onPhase((phase) => {
    if (phase === core.ExecutionPhase.Terminated) builtIn[Symbol.dispose]();
  });
  return { proxy, metrics };
}
