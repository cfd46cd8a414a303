/**
 * The gateway's settings: the `load_balancer` section of the YAML file
 * (listen, tls_listen and tls, upstreams, selection, hash_key,
 * health_check, upstream_tls), read with core's
 * ConfigSchema. Rules that span keys (hash_key only with a hashing
 * selection, http-only health keys, a selection the upstreams can build)
 * are checked here too, so `-t` catches them with the key and line.
 */
import {
  ConfigSchema,
  type ConfigValue,
  configField,
  type FieldAt,
  type TlsSettings,
} from '@pingora-ts/core';
import { PingoraError } from '@pingora-ts/error';
import type { Backend } from '@pingora-ts/load-balancing';
import { isMap, type Node } from 'yaml';
import { type HealthCheckConfig, healthCheckField, settleHealthCheck } from './health-config.ts';
import {
  type HashKey,
  hashesKey,
  isSelectionName,
  NO_HASH_KEY,
  parseHashKey,
  SELECTIONS,
  type SelectionName,
} from './selection.ts';
import { settleTls, tlsField } from './tls-config.ts';
import {
  settleUpstreamTls,
  type UpstreamTlsConfig,
  upstreamTlsField,
} from './upstream-tls-config.ts';
import { upstreamsField } from './upstreams-field.ts';

const fields = {
  listen: configField.addressList({ default: ['127.0.0.1:6188'], maxItems: 64 }),
  /** HTTPS endpoints (ip:port), served with the `tls` settings. */
  tlsListen: configField.addressList({
    key: 'tls_listen',
    default: [],
    maxItems: 64,
    item: (v) => (v.startsWith('unix:') ? 'TLS endpoints are TCP: expected "ip:port"' : undefined),
  }),
  tls: tlsField,
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
  healthCheck: healthCheckField,
  h2c: configField.boolean({ default: false }),
  upstreamProtocol: configField.string({
    key: 'upstream_protocol',
    default: 'http1',
    check: (v) =>
      (UPSTREAM_PROTOCOLS as readonly string[]).includes(v)
        ? undefined
        : `expected one of ${UPSTREAM_PROTOCOLS.join(', ')}`,
  }),
  maxH2Streams: configField.integer({ key: 'max_h2_streams', default: 100, min: 1, max: 10_000 }),
  upstreamTls: upstreamTlsField,
  /** The older spelling of health_check.interval_ms (bench/proxy still writes it). */
  intervalSeconds: configField.number({
    key: 'health_check_interval_seconds',
    min: 0.01,
    max: 3600,
  }),
};

type RawConfig = ConfigValue<typeof fields>;

/**
 * How the gateway speaks to its upstreams: http1 (HTTP/1.1), h2c (HTTP/2
 * with prior knowledge, plaintext), h2 (HTTP/2 over TLS, ALPN h2 only),
 * auto (ALPN h2 or http/1.1 over TLS, else HTTP/1.1).
 */
export const UPSTREAM_PROTOCOLS = ['http1', 'h2c', 'h2', 'auto'] as const;
export type UpstreamProtocol = (typeof UPSTREAM_PROTOCOLS)[number];

export interface LbConfig {
  readonly listen: string[];
  /** HTTPS endpoints; `tls` holds their settings (undefined when there are none). */
  readonly tlsListen: string[];
  readonly tls: TlsSettings | undefined;
  /** Empty: none configured (the app starts demo origins). */
  readonly upstreams: Backend[];
  readonly selection: SelectionName;
  readonly hashKey: HashKey;
  readonly healthCheck: HealthCheckConfig;
  /** Serve h2c (HTTP/2 prior knowledge) beside HTTP/1.1 on the listeners. */
  readonly h2c: boolean;
  readonly upstreamProtocol: UpstreamProtocol;
  /** Concurrent streams per upstream HTTP/2 connection (capped by the upstream's setting). */
  readonly maxH2Streams: number;
  /** Speak TLS to the upstreams with these settings; undefined: plaintext. */
  readonly upstreamTls: UpstreamTlsConfig | undefined;
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

    if (raw.intervalSeconds !== undefined && raw.healthCheck.intervalMs !== undefined) {
      refuse(['health_check_interval_seconds'], 'give health_check.interval_ms only');
    }
    const legacyMs =
      raw.intervalSeconds === undefined ? undefined : Math.round(raw.intervalSeconds * 1000);
    const healthCheck = settleHealthCheck(raw.healthCheck, legacyMs, (key, message) =>
      refuse(['health_check', key], message),
    );

    if (raw.upstreams.length > 0) {
      try {
        SELECTIONS[selection].build(raw.upstreams);
      } catch (err) {
        const root = err instanceof PingoraError ? err.rootCause() : err;
        const why = root instanceof Error ? root.message : String(root);
        refuse(['upstreams'], `selection ${selection} cannot use these upstreams: ${why}`);
      }
    }

    // The tls section is checked (files included) only when an endpoint uses it.
    const tls =
      raw.tlsListen.length === 0
        ? undefined
        : settleTls(raw.tls, source.name, (path, message) => refuse(['tls', ...path], message));
    const upstreamTls =
      nodeOf('upstream_tls') === undefined
        ? undefined
        : settleUpstreamTls(raw.upstreamTls, (key, message) =>
            refuse(['upstream_tls', key], message),
          );

    if (upstreamTls !== undefined && raw.upstreamProtocol === 'h2c') {
      refuse(['upstream_protocol'], 'h2c is plaintext HTTP/2: use h2 (or auto) with upstream_tls');
    }

    return {
      listen: raw.listen,
      tlsListen: raw.tlsListen,
      tls,
      upstreams: raw.upstreams,
      selection,
      hashKey,
      healthCheck,
      h2c: raw.h2c,
      upstreamProtocol: raw.upstreamProtocol as UpstreamProtocol,
      maxH2Streams: raw.maxH2Streams,
      upstreamTls,
    };
  }
}

/** The schema of the `load_balancer` section: `server.appConfig(lbConfigSchema, 'load_balancer')`. */
export const lbConfigSchema = new LbConfigSchema(fields);
