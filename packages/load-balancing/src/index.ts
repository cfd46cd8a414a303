/**
 * @pingora-ts/load-balancing: backends, service discovery, selection
 * algorithms and health checks (mirrors pingora-load-balancing).
 */

// --- Backends and the load balancer
export { Backend, type BackendOptions, MAX_BACKEND_WEIGHT } from './backend.ts';
export {
  Backends,
  type BackendsOptions,
  MAX_BACKENDS,
  type PassiveHealthOptions,
} from './backends.ts';
export {
  LoadBalancerService,
  type LoadBalancerServiceOptions,
  readyService,
} from './background.ts';
export {
  HEALTH_CHANNEL_NAME,
  type HealthChangeEvent,
  type HealthChangeReason,
  healthChannel,
} from './diagnostics.ts';
export {
  type DnsAddressFamilies,
  DnsDiscovery,
  type DnsDiscoveryOptions,
  type DnsResolver,
} from './discovery/dns-discovery.ts';
// --- Discovery
export type { Discovered, ServiceDiscovery } from './discovery/service-discovery.ts';
export { type BackendSpec, StaticDiscovery } from './discovery/static-discovery.ts';
export type { TlsCheckOptions } from './health/connect.ts';
// --- Health
export type { HealthCheck, ThresholdOptions } from './health/health-check.ts';
export type { HealthSnapshot } from './health/health-state.ts';
export {
  type BodyCheck,
  type ExpectedStatus,
  HttpHealthCheck,
  type HttpHealthCheckOptions,
} from './health/http-health-check.ts';
export { TcpHealthCheck, type TcpHealthCheckOptions } from './health/tcp-health-check.ts';
export {
  type AcceptBackend,
  DEFAULT_MAX_ITERATIONS,
  LoadBalancer,
  type LoadBalancerOptions,
  type UpdateTimings,
} from './load-balancer.ts';
export type { LbLogger } from './logger.ts';
// --- Selection
export type {
  BackendIter,
  BackendSelection,
  BackendSelectionBuilder,
  SelectionContext,
  SelectionKey,
} from './selection/backend-selection.ts';
export { FnvHash } from './selection/fnv-hash.ts';
export { InFlightGuard } from './selection/in-flight.ts';
export { Ketama } from './selection/ketama.ts';
export { LeastConnections } from './selection/least-connections.ts';
export { PowerOfTwoChoices } from './selection/power-of-two.ts';
export { Random, type RandomSource } from './selection/random.ts';
export { RoundRobin } from './selection/round-robin.ts';
export { WeightedRoundRobin } from './selection/weighted-round-robin.ts';
