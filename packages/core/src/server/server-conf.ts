/**
 * ServerConf: the server's own settings (Pingora's ServerConf), read from the
 * snake_case keys of the YAML file into camelCase fields, with Pingora's
 * defaults. Keys it does not know stay in the file for apps to read with
 * their own ConfigSchema.
 */
import { isIP } from 'node:net';
import { configField, defineConfigSchema } from './config-schema.ts';
import { ConfigSource } from './config-source.ts';
import { DEFAULT_TIMEOUT_CONF, type TimeoutConf, timeoutConfFields } from './timeout-conf.ts';

/** The configuration versions this build understands. */
export const SUPPORTED_CONF_VERSIONS: readonly number[] = [1];

/** The server's settings; the timeout keys are listed in TimeoutConf (timeout-conf.ts). */
export interface ServerConf extends TimeoutConf {
  /** Version of the file format; only 1 exists. */
  readonly version: number;
  /** Detach and run in the background (also `-d`). */
  readonly daemon: boolean;
  /** Log file (append). Unset: logs go to stderr. */
  readonly errorLog: string | undefined;
  /** Where a daemon writes its pid; removed on clean exit. */
  readonly pidFile: string;
  /** Unix socket old and new processes agree on for a graceful upgrade. */
  readonly upgradeSock: string;
  /** User to switch to after bootstrap (needs root). */
  readonly user: string | undefined;
  /** Group to switch to after bootstrap (needs root). */
  readonly group: string | undefined;
  /** Directory a daemon changes to. */
  readonly workingDirectory: string | undefined;
  /** Threads per service in Pingora; Node serves on one event loop, kept for apps that shard. */
  readonly threads: number;
  /** Pingora's runtime work stealing; informational on Node. */
  readonly workStealing: boolean;
  /** CA bundle for upstream TLS; unset: the platform's store. */
  readonly caFile: string | undefined;
  /**
   * Append upstream TLS secrets to the file named by SSLKEYLOGFILE (for
   * Wireshark); a debugging aid, off by default (Pingora's upstream_debug_ssl_keylog).
   */
  readonly upstreamDebugSslKeylog: boolean;
  /** How long a graceful shutdown lets in-flight work finish (Pingora: 300). */
  readonly gracePeriodSeconds: number;
  /** After the grace period, how long what is left gets before it is closed (Pingora: 5). */
  readonly gracefulShutdownTimeoutSeconds: number;
  /** Idle upstream connections kept in the pool. */
  readonly upstreamKeepalivePoolSize: number;
  /** Source IPv4 addresses connectors bind to (one picked per connection). */
  readonly clientBindToIpv4: readonly string[];
  /** Source IPv6 addresses connectors bind to. */
  readonly clientBindToIpv6: readonly string[];
  /** Fail-safe bound on proxy retries of retryable errors. */
  readonly maxRetries: number;
  /** A daemon's parent exits only once the daemon is ready (non-zero on timeout). */
  readonly daemonWaitForReady: boolean;
  /** How long that parent waits. */
  readonly daemonReadyTimeoutSeconds: number;
}

export const DEFAULT_SERVER_CONF: ServerConf = Object.freeze({
  version: 1,
  daemon: false,
  errorLog: undefined,
  pidFile: '/tmp/pingora.pid',
  upgradeSock: '/tmp/pingora_upgrade.sock',
  user: undefined,
  group: undefined,
  workingDirectory: undefined,
  threads: 1,
  workStealing: true,
  caFile: undefined,
  upstreamDebugSslKeylog: false,
  gracePeriodSeconds: 300,
  gracefulShutdownTimeoutSeconds: 5,
  upstreamKeepalivePoolSize: 128,
  clientBindToIpv4: Object.freeze([]) as readonly string[],
  clientBindToIpv6: Object.freeze([]) as readonly string[],
  maxRetries: 16,
  daemonWaitForReady: false,
  daemonReadyTimeoutSeconds: 600,
  ...DEFAULT_TIMEOUT_CONF,
});

const D = DEFAULT_SERVER_CONF;
// A day: longer waits are surely a unit mistake (milliseconds given as seconds).
const MAX_SECONDS = 86_400;

const nonEmpty = (s: string) => (s === '' ? 'must not be empty' : undefined);

/** The YAML side of ServerConf: snake_case keys, types, defaults, checks. */
export const serverConfSchema = defineConfigSchema(
  {
    version: configField.integer({
      default: D.version,
      check: (v) =>
        SUPPORTED_CONF_VERSIONS.includes(v)
          ? undefined
          : `unknown version ${v} (this build reads version ${SUPPORTED_CONF_VERSIONS.join(', ')})`,
    }),
    daemon: configField.boolean({ default: D.daemon }),
    errorLog: configField.string({ key: 'error_log', check: nonEmpty }),
    pidFile: configField.string({ key: 'pid_file', default: D.pidFile, check: nonEmpty }),
    upgradeSock: configField.string({
      key: 'upgrade_sock',
      default: D.upgradeSock,
      check: nonEmpty,
    }),
    user: configField.string({ check: nonEmpty }),
    group: configField.string({ check: nonEmpty }),
    workingDirectory: configField.string({ key: 'working_directory', check: nonEmpty }),
    threads: configField.integer({ default: D.threads, min: 1, max: 1024 }),
    workStealing: configField.boolean({ key: 'work_stealing', default: D.workStealing }),
    caFile: configField.string({ key: 'ca_file', check: nonEmpty }),
    upstreamDebugSslKeylog: configField.boolean({
      key: 'upstream_debug_ssl_keylog',
      default: D.upstreamDebugSslKeylog,
    }),
    gracePeriodSeconds: configField.number({
      key: 'grace_period_seconds',
      default: D.gracePeriodSeconds,
      min: 0,
      max: MAX_SECONDS,
    }),
    gracefulShutdownTimeoutSeconds: configField.number({
      key: 'graceful_shutdown_timeout_seconds',
      default: D.gracefulShutdownTimeoutSeconds,
      min: 0,
      max: MAX_SECONDS,
    }),
    upstreamKeepalivePoolSize: configField.integer({
      key: 'upstream_keepalive_pool_size',
      default: D.upstreamKeepalivePoolSize,
      min: 0,
      max: 1_000_000,
    }),
    clientBindToIpv4: configField.stringList({
      key: 'client_bind_to_ipv4',
      default: [],
      item: (s) => (isIP(s) === 4 ? undefined : `"${s}" is not an IPv4 address`),
    }),
    clientBindToIpv6: configField.stringList({
      key: 'client_bind_to_ipv6',
      default: [],
      item: (s) => (isIP(s) === 6 ? undefined : `"${s}" is not an IPv6 address`),
    }),
    maxRetries: configField.integer({
      key: 'max_retries',
      default: D.maxRetries,
      min: 0,
      max: 1000,
    }),
    daemonWaitForReady: configField.boolean({
      key: 'daemon_wait_for_ready',
      default: D.daemonWaitForReady,
    }),
    daemonReadyTimeoutSeconds: configField.number({
      key: 'daemon_ready_timeout_seconds',
      default: D.daemonReadyTimeoutSeconds,
      min: 0.001,
      max: MAX_SECONDS,
    }),
    ...timeoutConfFields,
  },
  // The file root also holds the apps' keys: unknown keys are theirs, not errors.
  { strict: false },
);

/** ServerConf from a parsed file. Throws a ConfigError naming the key and line. */
export function readServerConf(source: ConfigSource): ServerConf {
  const conf: ServerConf = serverConfSchema.read(source);
  return Object.freeze({
    ...conf,
    clientBindToIpv4: Object.freeze([...conf.clientBindToIpv4]),
    clientBindToIpv6: Object.freeze([...conf.clientBindToIpv6]),
  });
}

/** ServerConf from YAML text (`name` is used in messages). */
export function parseServerConf(text: string, name?: string): ServerConf {
  return readServerConf(ConfigSource.parse(text, name));
}

/** ServerConf from a file. */
export function loadServerConf(path: string): ServerConf {
  return readServerConf(ConfigSource.load(path));
}

/**
 * DEFAULT_SERVER_CONF with some fields replaced (for servers built in code),
 * checked by the same rules as the file: a bad value is a ConfigError naming
 * its YAML key.
 */
export function serverConfWith(overrides: Partial<ServerConf>): ServerConf {
  const conf: ServerConf = serverConfSchema.fromObject(overrides as Record<string, unknown>);
  return Object.freeze({
    ...conf,
    clientBindToIpv4: Object.freeze([...conf.clientBindToIpv4]),
    clientBindToIpv6: Object.freeze([...conf.clientBindToIpv6]),
  });
}
