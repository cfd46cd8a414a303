/**
 * TableHistogram against prom-client's own Histogram: for any bucket bounds
 * and observations (values on the bounds, negative, huge), both registries
 * print the same exposition text; reset() zeroes it as prom-client does.
 */
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesTable } from '../src/series-table.ts';
import {
  type HistogramRecord,
  histogramRecord,
  observe,
  registerTableHistogram,
} from '../src/table-histogram.ts';

function pair(bounds: number[]) {
  const reference = new Registry();
  const theirs = new Histogram({
    name: 'h',
    help: 'help text',
    labelNames: ['service'],
    buckets: bounds,
    registers: [reference],
  });
  const registry = new Registry();
  const b = Float64Array.from(bounds);
  const table = new SeriesTable<HistogramRecord>(100, (service) => histogramRecord({ service }, b));
  registerTableHistogram(registry, 'h', 'help text', table, b);
  return {
    reference,
    registry,
    observe(service: string, value: number) {
      theirs.observe({ service }, value);
      observe(table.get(service), b, value);
    },
  };
}

describe('TableHistogram', () => {
  it('prints what prom-client prints for the same observations', async () => {
    const bounds = fc
      .uniqueArray(fc.double({ min: 0.001, max: 1e6, noNaN: true }), {
        minLength: 1,
        maxLength: 12,
      })
      .map((a) => a.sort((x, y) => x - y));
    await fc.assert(
      fc.asyncProperty(
        bounds,
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b', 'c'),
            fc.oneof(fc.double({ min: -10, max: 2e6, noNaN: true }), fc.nat(20)),
          ),
          { maxLength: 100 },
        ),
        fc.boolean(),
        async (bs, observations, onBounds) => {
          const h = pair(bs);
          for (const [service, v] of observations) {
            // Values exactly on a bound must land in that bound's bucket (le).
            h.observe(service, onBounds ? (bs[Math.abs(Math.trunc(v)) % bs.length] as number) : v);
          }
          expect(await h.registry.metrics()).toBe(await h.reference.metrics());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is zeroed by registry.resetMetrics() like prom-client (series kept at 0)', async () => {
    const h = pair([0.1, 1]);
    h.observe('a', 0.5);
    h.registry.resetMetrics();
    const text = await h.registry.metrics();
    expect(text).toContain('h_bucket{le="+Inf",service="a"} 0');
    expect(text).toContain('h_count{service="a"} 0');
  });
});
