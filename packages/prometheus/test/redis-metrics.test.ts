/**
 * Redis metrics: events published by name in the shape @pingora-ts/redis
 * documents (state, command-error, cache-bypass, limiter-fallback) become
 * counters and a redis_up gauge per client; unknown labels fold into `other`.
 */
import { channel } from 'node:diagnostics_channel';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../src/prometheus-metrics.ts';
import {
  REDIS_CACHE_BYPASS_CHANNEL,
  REDIS_COMMAND_ERROR_CHANNEL,
  REDIS_LIMITER_FALLBACK_CHANNEL,
  REDIS_STATE_CHANNEL,
} from '../src/redis-metrics.ts';
import { parseExposition, sampleValue } from './utils/scrape.ts';

describe('redis metrics', () => {
  it('counts state changes, command errors, cache bypasses and limiter fallbacks', async () => {
    using m = new PrometheusMetrics({ registry: new Registry() });
    for (const state of ['down', 'reconnecting', 'reconnecting', 'ready']) {
      channel(REDIS_STATE_CHANNEL).publish({ name: 'redis', state });
    }
    channel(REDIS_COMMAND_ERROR_CHANNEL).publish({ name: 'redis', command: 'EVALSHA', error: 'x' });
    channel(REDIS_COMMAND_ERROR_CHANNEL).publish({
      name: 'redis',
      command: 'FLUSHALL',
      error: 'x',
    });
    channel(REDIS_STATE_CHANNEL).publish({ name: 'cache', state: 'ready' });
    channel(REDIS_STATE_CHANNEL).publish({ name: 'cache', state: 'down' });
    channel(REDIS_CACHE_BYPASS_CHANNEL).publish({ op: 'lookup' });
    channel(REDIS_CACHE_BYPASS_CHANNEL).publish({ op: 'lock' });
    channel(REDIS_LIMITER_FALLBACK_CHANNEL).publish({ mode: 'local' });
    channel(REDIS_LIMITER_FALLBACK_CHANNEL).publish({ mode: 'local' });
    const s = parseExposition(await m.registry.metrics());
    const v = (name: string, labels: Record<string, string>) =>
      sampleValue(s, `pingora_${name}`, labels);
    expect(v('redis_state_changes_total', { state: 'reconnecting' })).toBe(2);
    expect(v('redis_state_changes_total', { state: 'ready' })).toBe(2);
    expect(v('redis_command_errors_total', { command: 'EVALSHA' })).toBe(1);
    expect(v('redis_command_errors_total', { command: 'other' })).toBe(1);
    expect(v('redis_cache_bypass_total', { op: 'lookup' })).toBe(1);
    expect(v('redis_cache_bypass_total', { op: 'lock' })).toBe(1);
    expect(v('redis_up', { name: 'redis' })).toBe(1);
    expect(v('redis_up', { name: 'cache' })).toBe(0);
    expect(v('redis_limiter_fallback_total', { mode: 'local' })).toBe(2);
  });
});
