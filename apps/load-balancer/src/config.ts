/**
 * The gateway's settings: the `load_balancer` section of the YAML file
 * (listen, upstreams, selection, hash_key, health_check), read with core's
 * ConfigSchema. Rules that span keys (hash_key only with a hashing
 * selection, http-only health keys, a selection the upstreams can build)
 * are checked here too, so `-t` catches them with the key and line.
 */
import {
  ConfigSchema,
  type ConfigValue,
  configField,
  defineConfigSchema,
  type FieldAt,
} from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import type { Backend } from '@pingora-ts/load-balancing';
import { isMap, type Node } from 'yaml';
import {
  type HashKey,
  hashesKey,
  isSelectionName,
  NO_HASH_KEY,
  parseHashKey,
  SELECTIONS,
  type SelectionName,
} from './selection.ts';
import { upstreamsField } from './upstreams-field.ts';

const healthCheckFields = {
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

const fields = {
  listen: configField.addressList({ default: ['127.0.0.1:6188'], maxItems: 64 }),
  upstreams: upstreamsField(),
  selection: configField.string({
    default: 'round_robin',
    check: (v) =>
      isSelectionName(v) ? undefined : `expected one of ${Object.keys(SELECTIONS).join(', ')}`,
  }),
  hashKey: configField.string({
    key: 'hash_key',
    check: (v) => {
      const parsed = parseHashKey(v);
      return typeof parsed === 'string' ? parsed : undefined;
    },
  }),
  healthCheck: configField.object(defineConfigSchema(healthCheckFields), { key: 'health_check' }),
  /** The older spelling of health_check.interval_ms (bench/proxy still writes it). */
  intervalSeconds: configField.number({
    key: 'health_check_interval_seconds',
    min: 0.01,
    max: 3600,
  }),
};

type RawConfig = ConfigValue<typeof fields>;

export interface HealthCheckConfig {
  readonly type: 'tcp' | 'http';
  /** HTTP only: the request path (default `/`), Host (default `localhost`) and expected status. */
  readonly path: string;
  readonly host: string;
  readonly expectedStatus: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface LbConfig {
  readonly listen: string[];
  /** Empty: none configured (the app starts demo origins). */
  readonly upstreams: Backend[];
  readonly selection: SelectionName;
  readonly hashKey: HashKey;
  readonly healthCheck: HealthCheckConfig;
}

class LbConfigSchema extends ConfigSchema<LbConfig> {
  override readMapping(node: Node | undefined, at: FieldAt, strict?: boolean): LbConfig {
    // The fields produce RawConfig; this override turns it into LbConfig.
    const raw = super.readMapping(node, at, strict) as unknown as RawConfig;
    const { source } = at;
    const keyOf = (path: string) => (at.key === '' ? path : `${at.key}.${path}`);
    const nodeOf = (...path: string[]): Node | undefined => {
      let n = node;
      for (const k of path) n = isMap(n) ? source.resolve(n.get(k, true) as Node) : undefined;
      return n;
    };
    const refuse = (path: string[], message: string): never => {
      throw source.error(nodeOf(...path) ?? node, keyOf(path.join('.')), message);
    };

    const selection = raw.selection as SelectionName;
    let hashKey = NO_HASH_KEY;
    if (hashesKey(selection)) hashKey = parseHashKey(raw.hashKey ?? 'client_ip') as HashKey;
    else if (raw.hashKey !== undefined)
      refuse(['hash_key'], `only used by selection fnv or ketama`);

    const hc = raw.healthCheck;
    if (hc.type === 'tcp') {
      for (const [prop, key] of [
        ['path', 'path'],
        ['host', 'host'],
        ['expectedStatus', 'expected_status'],
      ] as const) {
        if (hc[prop] !== undefined) refuse(['health_check', key], 'only used by type: http');
      }
    }
    if (raw.intervalSeconds !== undefined && hc.intervalMs !== undefined) {
      refuse(['health_check_interval_seconds'], 'give health_check.interval_ms only');
    }

    if (raw.upstreams.length > 0) {
      try {
        SELECTIONS[selection].build(raw.upstreams);
      } catch (err) {
        const why = err instanceof PingoraError ? err.message : String(err);
        refuse(['upstreams'], `selection ${selection} cannot use these upstreams: ${why}`);
      }
    }

    return {
      listen: raw.listen,
      upstreams: raw.upstreams,
      selection,
      hashKey,
      healthCheck: {
        type: hc.type as 'tcp' | 'http',
        path: hc.path ?? '/',
        host: hc.host ?? 'localhost',
        expectedStatus: hc.expectedStatus ?? 200,
        intervalMs:
          hc.intervalMs ??
          (raw.intervalSeconds === undefined ? 1000 : Math.round(raw.intervalSeconds * 1000)),
        timeoutMs: hc.timeoutMs,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
    };
  }
}

/** The schema of the `load_balancer` section: `server.appConfig(lbConfigSchema, 'load_balancer')`. */
export const lbConfigSchema = new LbConfigSchema(fields);
