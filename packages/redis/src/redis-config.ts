/**
 * The YAML shape of a Redis connection (a `redis:` mapping inside an app's
 * section): address, auth, database, TLS files, timeouts, reconnect backoff
 * and the key prefix. A wrong value is a ConfigError naming the key and its
 * line; `redisClientOptions` turns the checked values into client options.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import {
  type ConfigField,
  type ConfigSchema,
  configField,
  defineConfigSchema,
} from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { RedisClientOptions } from './node-redis-client.ts';

const ms = (key: string, dflt: number, max = 600_000) =>
  configField.integer({ key, default: dflt, min: 1, max });

/** A readable file (so `-t` finds a wrong path before the first connection does). */
function readable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch {
    return `cannot read ${path}`;
  }
}

export const redisTlsConfigSchema = defineConfigSchema({
  enabled: configField.boolean({ default: false }),
  caFile: configField.string({ key: 'ca_file', check: readable }),
  certFile: configField.string({ key: 'cert_file', check: readable }),
  keyFile: configField.string({ key: 'key_file', check: readable }),
  servername: configField.string(),
  rejectUnauthorized: configField.boolean({ key: 'reject_unauthorized', default: true }),
});

/** The connection keys, for apps that add their own beside them. */
export const redisConfigFields = {
  host: configField.string({ default: '127.0.0.1' }),
  port: configField.integer({ default: 6379, min: 1, max: 65535 }),
  username: configField.string(),
  password: configField.string(),
  db: configField.integer({ default: 0, min: 0, max: 15 }),
  tls: configField.object(redisTlsConfigSchema),
  connectTimeoutMs: ms('connect_timeout_ms', 1000),
  commandTimeoutMs: ms('command_timeout_ms', 500),
  reconnectMinMs: ms('reconnect_min_ms', 50),
  reconnectMaxMs: ms('reconnect_max_ms', 500),
  maxPendingCommands: configField.integer({
    key: 'max_pending_commands',
    default: 10_000,
    min: 1,
    max: 1_000_000,
  }),
  failFastAfterTimeouts: configField.integer({
    key: 'fail_fast_after_timeouts',
    default: 3,
    min: 0,
    max: 1_000_000,
  }),
  failFastMs: ms('fail_fast_ms', 500),
  keyPrefix: configField.string({
    key: 'key_prefix',
    default: 'pingora:',
    check: (v) => (v.length > 64 ? 'at most 64 characters' : undefined),
  }),
};

export const redisConfigSchema = defineConfigSchema(redisConfigFields);

export type RedisConfig = ReturnType<typeof redisConfigSchema.read>;

function file(key: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw PingoraError.because(ErrorType.ConfigError, `redis.tls.${key}: cannot read ${path}`, err);
  }
}

/** Client options from checked config (reads the TLS files: errors name the key). */
export function redisClientOptions(config: RedisConfig, name = 'redis'): RedisClientOptions {
  const t = config.tls;
  return {
    name,
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    db: config.db,
    tls: t.enabled
      ? {
          ca: file('ca_file', t.caFile),
          cert: file('cert_file', t.certFile),
          key: file('key_file', t.keyFile),
          servername: t.servername,
          rejectUnauthorized: t.rejectUnauthorized,
        }
      : false,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    maxPendingCommands: config.maxPendingCommands,
    failFastAfterTimeouts: config.failFastAfterTimeouts,
    failFastMs: config.failFastMs,
  };
}

/**
 * A mapping that may be absent: undefined when the key is missing, else read
 * with `schema` (an empty `key:` reads as all defaults). For optional
 * features such as `rate_limiter.redis`.
 */
export function optionalConfigObject<T>(
  schema: ConfigSchema<T>,
  options: { key?: string } = {},
): ConfigField<T | undefined> {
  const inner = configField.object(schema, options);
  return {
    key: options.key,
    nested: inner.nested,
    read: (node, at) => (node === undefined ? undefined : inner.read(node, at)),
  };
}
