/**
 * The `access_log` section of the server YAML, read with core's ConfigSchema
 * (so `-t` checks it and errors name the key and line):
 *   access_log:
 *     path: /var/log/pingora/access.log   # "-" for stdout; absent/empty: no access log
 *     format: json                         # json | combined
 */
import { configField, defineConfigSchema } from '@pingora-ts/core';

export const ACCESS_LOG_FORMATS = ['json', 'combined'] as const;
export type AccessLogFormat = (typeof ACCESS_LOG_FORMATS)[number];

export const accessLogConfigSchema = defineConfigSchema({
  path: configField.string({ default: '' }),
  format: configField.string({
    default: 'json',
    check: (v) =>
      (ACCESS_LOG_FORMATS as readonly string[]).includes(v)
        ? undefined
        : `expected one of ${ACCESS_LOG_FORMATS.join(', ')}`,
  }),
  /** Lines are written once this many bytes are pending (0: as soon as possible). */
  bufferBytes: configField.integer({ key: 'buffer_bytes', default: 0, min: 0, max: 1 << 20 }),
  /** Past this many bytes waiting for the disk, lines are dropped (and counted). */
  maxPendingBytes: configField.integer({
    key: 'max_pending_bytes',
    default: 16 << 20,
    min: 64 << 10,
    max: 1 << 30,
  }),
  /** Keep a valid incoming X-Request-Id (else always generate one). */
  trustRequestId: configField.boolean({ key: 'trust_request_id', default: true }),
});

export type AccessLogConfig = ReturnType<typeof accessLogConfigSchema.read>;
