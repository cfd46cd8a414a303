/**
 * The `sentry` section of the server YAML (Pingora's `sentry` server
 * option), read with core's ConfigSchema so `-t` checks it and errors name
 * the key and line. No section or an empty `dsn`: Sentry stays off.
 *   sentry:
 *     dsn: https://key@o0.ingest.sentry.io/1
 *     environment: production
 *     release: gateway@1.2.3
 *     sample_rate: 1.0
 *     send_default_pii: false
 *     redact_headers: [x-api-key]
 */
import { configField, defineConfigSchema } from '@pingora-ts/core';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkDsn(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected a Sentry DSN such as https://key@o0.ingest.sentry.io/1';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the DSN must be http or https';
  if (url.username === '') return 'the DSN has no public key (https://<key>@host/<project>)';
  if (!/^\/(?:.*\/)?\d+$/.test(url.pathname)) return 'the DSN must end with the project id';
  return undefined;
}

export const sentryConfigSchema = defineConfigSchema({
  dsn: configField.string({ default: '', check: checkDsn }),
  environment: configField.string(),
  release: configField.string(),
  /** Share of error events sent, 0 to 1. */
  sampleRate: configField.number({ key: 'sample_rate', default: 1, min: 0, max: 1 }),
  /** Send client addresses, query strings and forwarding headers. Default false. */
  sendDefaultPii: configField.boolean({ key: 'send_default_pii', default: false }),
  /** Request headers whose values never leave the process, besides the built-in ones. */
  redactHeaders: configField.stringList({
    key: 'redact_headers',
    default: [],
    maxItems: 256,
    item: (v) => (HEADER_NAME.test(v) ? undefined : `"${v}" is not a header name`),
  }),
  /** How long the exit flush waits for queued events, ms. */
  flushTimeoutMs: configField.integer({
    key: 'flush_timeout_ms',
    default: 2000,
    min: 0,
    max: 30_000,
  }),
});

export type SentryConfig = ReturnType<typeof sentryConfigSchema.read>;
