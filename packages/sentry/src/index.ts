/**
 * @pingora-ts/sentry: Sentry for pingora-ts servers (Pingora's `sentry`
 * option): the `sentry` YAML section, crash reports flushed before exit,
 * proxy failures with redacted requests, phase breadcrumbs. The only
 * pingora-ts package that depends on @sentry/node.
 */
export {
  ALWAYS_REDACTED,
  PII_HEADERS,
  REDACTED,
  type RedactedRequest,
  Redactor,
} from './redact.ts';
export { type SentryConfig, sentryConfigSchema } from './sentry-config.ts';
export { SentryReporter, type SentryReporterOptions } from './sentry-reporter.ts';
export { type SentryHandle, type SetupSentryOptions, setupSentry } from './setup-sentry.ts';
