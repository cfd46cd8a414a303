/**
 * setupTracing: tracing from the `tracing` YAML section, with the
 * OpenTelemetry SDK and OTLP/HTTP exporter (optional peer dependencies,
 * loaded only when the section names an endpoint): a TracerProvider with a
 * bounded batch processor and a parent-based ratio sampler, a ProxyTracing
 * on it, and a flush on exit. Apps that run their own SDK pass their
 * provider to ProxyTracing instead.
 */

import type { Server } from '@pingora-ts/core';
import { ErrorType, PingoraError } from '@pingora-ts/error';
import { ProxyTracing } from './proxy-tracing.ts';
import { type TracingConfig, tracingConfigSchema } from './tracing-config.ts';

export interface TracingHandle {
  readonly config: TracingConfig;
  readonly tracing: ProxyTracing;
  /** Exports what is queued. */
  flush(): Promise<void>;
  /** Stops tracing, exports what is queued and shuts the SDK down. */
  close(): Promise<void>;
}

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw PingoraError.because(
      ErrorType.ConfigError,
      `tracing: the tracing section needs ${name} (npm install @opentelemetry/sdk-trace @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources)`,
      err,
    );
  }
}

/** Starts tracing from the server's `tracing` section; undefined when it names no endpoint. */
export async function setupTracing(
  server: Server,
  section = 'tracing',
): Promise<TracingHandle | undefined> {
  const config = server.appConfig(tracingConfigSchema, section);
  if (config.otlpEndpoint === '') return undefined;
  const sdk = await load<typeof import('@opentelemetry/sdk-trace')>('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = await load<
    typeof import('@opentelemetry/exporter-trace-otlp-http')
  >('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await load<typeof import('@opentelemetry/resources')>(
    '@opentelemetry/resources',
  );
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new sdk.ParentBasedSampler({
      root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio),
    }),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: config.otlpEndpoint }),
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: Math.min(512, config.maxQueueSize),
      }),
    ],
  });
  const tracing = new ProxyTracing({
    tracerProvider: provider,
    trustIncomingTrace: config.trustIncomingTrace,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    tracing[Symbol.dispose]();
    await provider.shutdown();
  };
  server.onExit(close);
  return { config, tracing, flush: () => provider.forceFlush(), close };
}
