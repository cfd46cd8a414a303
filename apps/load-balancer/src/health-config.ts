/**
 * The `health_check` setting: type (tcp or http), the HTTP request (path,
 * host, expected_status), interval, timeout and the consecutive-result
 * thresholds. config.ts reads it as a nested object and settles it here,
 * refusing http-only keys under a tcp check.
 */
import { type ConfigValue, configField, defineConfigSchema } from '@pingora-ts/core';

const fields = {
  type: configField.string({
    default: 'tcp',
    check: (v) => (v === 'tcp' || v === 'http' ? undefined : 'expected tcp or http'),
  }),
  path: configField.string({
    check: (v) => (/^\/[\x21-\x7e]*$/.test(v) ? undefined : 'expected a path such as /health'),
  }),
  host: configField.string({
    check: (v) => (/^[\x21-\x7e]+$/.test(v) ? undefined : 'expected a Host header value'),
  }),
  expectedStatus: configField.integer({ key: 'expected_status', min: 100, max: 599 }),
  /** No default here: unset, the older health_check_interval_seconds may give it. */
  intervalMs: configField.integer({ key: 'interval_ms', min: 10, max: 3_600_000 }),
  timeoutMs: configField.integer({ key: 'timeout_ms', default: 1000, min: 1, max: 60_000 }),
  healthyThreshold: configField.integer({
    key: 'healthy_threshold',
    default: 1,
    min: 1,
    max: 1000,
  }),
  unhealthyThreshold: configField.integer({
    key: 'unhealthy_threshold',
    default: 1,
    min: 1,
    max: 1000,
  }),
};

export const healthCheckField = configField.object(defineConfigSchema(fields), {
  key: 'health_check',
});

type RawHealthCheck = ConfigValue<typeof fields>;

export interface HealthCheckConfig {
  readonly type: 'tcp' | 'http';
  /** HTTP only: the request path (default `/`), Host (default `localhost`) and expected status. */
  readonly path: string;
  readonly host: string;
  readonly expectedStatus: number;
  /** Default 1000. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** Refuses the value under `health_check.<key>` with `message` (throws). */
export type Refuse = (key: string, message: string) => never;

const HTTP_ONLY = [
  ['path', 'path'],
  ['host', 'host'],
  ['expectedStatus', 'expected_status'],
] as const;

/** The health check as used, from the raw field and the interval given the older way (ms). */
export function settleHealthCheck(
  raw: RawHealthCheck,
  legacyIntervalMs: number | undefined,
  refuse: Refuse,
): HealthCheckConfig {
  if (raw.type === 'tcp') {
    for (const [prop, key] of HTTP_ONLY) {
      if (raw[prop] !== undefined) refuse(key, 'only used by type: http');
    }
  }
  return {
    type: raw.type as 'tcp' | 'http',
    path: raw.path ?? '/',
    host: raw.host ?? 'localhost',
    expectedStatus: raw.expectedStatus ?? 200,
    intervalMs: raw.intervalMs ?? legacyIntervalMs ?? 1000,
    timeoutMs: raw.timeoutMs,
    healthyThreshold: raw.healthyThreshold,
    unhealthyThreshold: raw.unhealthyThreshold,
  };
}
