/**
 * The `tracing` section of the server YAML, read with core's ConfigSchema
 * (checked by `-t`, errors name key and line). No section or an empty
 * `otlp_endpoint`: tracing stays off and the proxy publishes nothing.
 *   tracing:
 *     otlp_endpoint: http://127.0.0.1:4318/v1/traces   # OTLP/HTTP (JSON)
 *     service_name: gateway
 *     sample_ratio: 0.1          # new traces; a client's sampled trace is always followed
 *     trust_incoming_trace: true # continue the client's traceparent
 */
import { configField, defineConfigSchema } from '@pingora-ts/core';

function checkEndpoint(value: string): string | undefined {
  if (value === '') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? undefined
      : 'expected an http(s) URL such as http://127.0.0.1:4318/v1/traces';
  } catch {
    return 'expected an http(s) URL such as http://127.0.0.1:4318/v1/traces';
  }
}

export const tracingConfigSchema = defineConfigSchema({
  otlpEndpoint: configField.string({ key: 'otlp_endpoint', default: '', check: checkEndpoint }),
  serviceName: configField.string({ key: 'service_name', default: 'pingora-ts' }),
  sampleRatio: configField.number({ key: 'sample_ratio', default: 1, min: 0, max: 1 }),
  trustIncomingTrace: configField.boolean({ key: 'trust_incoming_trace', default: true }),
  /** Spans waiting for export; past it new ones are dropped (the batch processor's queue). */
  maxQueueSize: configField.integer({ key: 'max_queue_size', default: 2048, min: 1, max: 1 << 20 }),
});

export type TracingConfig = ReturnType<typeof tracingConfigSchema.read>;
