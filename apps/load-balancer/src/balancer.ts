/**
 * Builds the gateway's LoadBalancer from its settings: the selection
 * algorithm over the upstreams, the active health check (TCP or HTTP) with
 * its thresholds and interval, and passive health, which takes an upstream
 * out at its first refused connect until the next checks can judge it; and
 * the service running them, ready once the first check round is done.
 */
import type { Service } from '@pingora-ts/core';
import {
  type Backend,
  type BackendSelectionBuilder,
  type HealthCheck,
  HttpHealthCheck,
  type LbLogger,
  LoadBalancer,
  TcpHealthCheck,
} from '@pingora-ts/load-balancing';
import type { LbConfig } from './config.ts';
import type { HealthCheckConfig } from './health-config.ts';
import { SELECTIONS } from './selection.ts';
import { checkTlsOptions, type UpstreamTlsConfig } from './upstream-tls-config.ts';

/**
 * Longest passive hold. With a long check interval (bench/proxy checks once
 * an hour) an upstream that failed one connect must not stay out that long.
 */
const MAX_PASSIVE_HOLD_MS = 5000;

export function healthCheckFrom(hc: HealthCheckConfig, tls?: UpstreamTlsConfig): HealthCheck {
  const thresholds = {
    consecutiveSuccess: hc.healthyThreshold,
    consecutiveFailure: hc.unhealthyThreshold,
  };
  // Checks go over TLS, verified like the proxied traffic, when the upstreams speak it.
  const tlsOptions = tls === undefined ? {} : { tls: checkTlsOptions(tls) };
  if (hc.type === 'tcp')
    return new TcpHealthCheck({ ...thresholds, connectTimeoutMs: hc.timeoutMs, ...tlsOptions });
  return new HttpHealthCheck({
    ...thresholds,
    ...tlsOptions,
    host: hc.host,
    path: hc.path,
    expectedStatus: hc.expectedStatus,
    connectTimeoutMs: hc.timeoutMs,
    readTimeoutMs: hc.timeoutMs,
  });
}

/** The load balancer over `upstreams` (the configured ones, or the demo origins). */
export function buildLoadBalancer(
  config: LbConfig,
  upstreams: readonly Backend[],
  logger?: LbLogger,
): LoadBalancer {
  const hc = config.healthCheck;
  const builder: BackendSelectionBuilder = SELECTIONS[config.selection];
  return LoadBalancer.fromAddrs(upstreams, builder, {
    healthCheck: healthCheckFrom(hc, config.upstreamTls),
    healthCheckFrequencyMs: hc.intervalMs,
    parallelHealthCheck: true,
    passiveHealth: {
      consecutiveFailures: 1,
      cooldownMs: Math.min(hc.intervalMs, MAX_PASSIVE_HOLD_MS),
    },
    ...(logger === undefined ? {} : { logger }),
  });
}

/**
 * The load balancer's background service (discovery, then checks every
 * interval), reporting ready once the first check round is done: a proxy
 * depending on it sends nothing to an upstream that round found down.
 */
export function healthService(lb: LoadBalancer, name: string): Service {
  return lb.service(name, { readyAfter: 'health-check' });
}
