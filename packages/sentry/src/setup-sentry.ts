/**
 * setupSentry: Pingora's `sentry` server option for pingora-ts. Reads the
 * `sentry` YAML section, starts the SDK (only the integrations a proxy
 * needs: linked errors for the cause chain, dedupe, node context, context
 * lines), scrubs every event and breadcrumb in beforeSend, reports proxy
 * failures and phase breadcrumbs (SentryReporter), and registers an exit
 * hook that reports an uncaught exception or unhandled rejection and
 * flushes before runForever() exits the process. The SDK is imported only
 * when a dsn is configured: a server without Sentry never loads it.
 */
import type { Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type * as SentryNs from '@sentry/node';
import { Redactor } from './redact.ts';
import { type SentryConfig, sentryConfigSchema } from './sentry-config.ts';
import { SentryReporter, type SentryReporterOptions } from './sentry-reporter.ts';

export interface SetupSentryOptions extends SentryReporterOptions {
  /** YAML section (default `sentry`). */
  section?: string;
  /** More SDK options, applied over the ones from the YAML (not dsn). */
  init?: Omit<SentryNs.NodeOptions, 'dsn'>;
}

export interface SentryHandle extends Disposable {
  readonly config: SentryConfig;
  readonly reporter: SentryReporter;
  /** Sends what is queued; resolves false if `timeoutMs` passed first. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes, stops reporting and shuts the SDK down. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Starts Sentry from the server's `sentry` section; undefined (and the SDK
 * not even loaded) when the section names no dsn. Call it once, at setup;
 * a bad section throws a ConfigError naming the key and line.
 */
export async function setupSentry(
  server: Server,
  options: SetupSentryOptions = {},
): Promise<SentryHandle | undefined> {
  const config = server.appConfig(sentryConfigSchema, options.section ?? 'sentry');
  if (config.dsn === '') return undefined;
  let Sentry: typeof SentryNs;
  try {
    Sentry = await import('@sentry/node');
  } catch (err) {
    throw PingoraError.because(
      ErrorType.ConfigError,
      'sentry: the sentry section needs @sentry/node (npm install @sentry/node)',
      err,
    );
  }
  const redactor = new Redactor(config.redactHeaders, config.sendDefaultPii);
  const scrub = <E extends SentryNs.ErrorEvent>(event: E): E => {
    const request = event.request;
    if (request !== undefined) {
      redactor.scrubHeaders(request.headers);
      delete request.cookies;
      if (!config.sendDefaultPii) {
        delete request.query_string;
        delete request.env;
      }
    }
    if (!config.sendDefaultPii && event.user !== undefined) delete event.user.ip_address;
    for (const crumb of event.breadcrumbs ?? []) redactor.scrubHeaders(crumb.data?.headers);
    return event;
  };
  const userBeforeSend = options.init?.beforeSend;
  Sentry.init({
    ...options.init,
    dsn: config.dsn,
    ...(config.environment !== undefined ? { environment: config.environment } : {}),
    ...(config.release !== undefined ? { release: config.release } : {}),
    sampleRate: config.sampleRate,
    // SDK 11's form of send_default_pii: what its own integrations may collect.
    dataCollection: {
      userInfo: config.sendDefaultPii,
      cookies: false,
      urlQueryParams: config.sendDefaultPii,
      httpHeaders: { request: { deny: redactor.names() }, response: { deny: redactor.names() } },
      ...options.init?.dataCollection,
    },
    // A proxy needs none of the auto-instrumentation (http, fetch, databases, OpenTelemetry).
    defaultIntegrations: false,
    // No OpenTelemetry tracer provider of its own: @pingora-ts/otel (or the app) owns tracing.
    enableOpenTelemetrySetup: false,
    integrations: [
      Sentry.linkedErrorsIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.functionToStringIntegration(),
      Sentry.eventFiltersIntegration(),
      Sentry.nodeContextIntegration(),
      Sentry.contextLinesIntegration(),
      ...toArray(options.init?.integrations),
    ],
    beforeSend: (event, hint) => {
      const scrubbed = scrub(event);
      return userBeforeSend !== undefined ? userBeforeSend(scrubbed, hint) : scrubbed;
    },
  });
  const reporter = new SentryReporter(Sentry, redactor, options);
  const removeExitHook = server.onExit(async ({ error, origin }) => {
    if (error !== undefined) {
      Sentry.withScope((scope) => {
        scope.setLevel('fatal');
        Sentry.captureException(error, {
          mechanism: {
            type: origin === 'unhandledRejection' ? 'onunhandledrejection' : 'onuncaughtexception',
            handled: false,
          },
        });
      });
    }
    await Sentry.flush(config.flushTimeoutMs);
  });
  let closed = false;
  const close = async (timeoutMs = config.flushTimeoutMs): Promise<void> => {
    if (closed) return;
    closed = true;
    reporter[Symbol.dispose]();
    removeExitHook();
    await Sentry.close(timeoutMs);
  };
  return {
    config,
    reporter,
    flush: (timeoutMs = config.flushTimeoutMs) => Sentry.flush(timeoutMs),
    close,
    [Symbol.dispose]() {
      void close();
    },
  };
}

function toArray<T>(value: T[] | ((defaults: T[]) => T[]) | undefined): T[] {
  return Array.isArray(value) ? value : [];
}
