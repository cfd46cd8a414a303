import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TinyUfo } from '../src/index.ts';

/**
 * TinyUfo against a model that knows only what callers can see: the last
 * value put under each key, minus whatever put() reported as gone and what
 * was removed. Since put() reports every entry that leaves (evicted or
 * refused), the cache must hold exactly the model, and its weight must stay
 * within the limit after every call.
 */
const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      key: fc.nat(30),
      w: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('force' as const),
      key: fc.nat(30),
      w: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: fc.nat(30) }) },
);

describe('TinyUfo against a model', () => {
  it('holds exactly the last values put that were not reported gone, within the weight limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        fc.boolean(),
        fc.array(op, { maxLength: 300 }),
        (limit, estimatedSize, seed, compact, ops) => {
          const cache = new TinyUfo<number, number>({
            totalWeightLimit: limit,
            estimatedSize,
            seed,
            compact,
          });
          const model = new Map<number, { value: number; weight: number }>();
          let step = 0;
          for (const o of ops) {
            step++;
            if (o.kind === 'put' || o.kind === 'force') {
              const isNew = !model.has(o.key);
              const gone =
                o.kind === 'put' ? cache.put(o.key, step, o.w) : cache.forcePut(o.key, step, o.w);
              model.set(o.key, { value: step, weight: o.w });
              for (const e of gone) {
                expect(model.get(e.key)).toEqual({ value: e.data, weight: e.weight });
                model.delete(e.key);
              }
              // forcePut always admits a new key that fits
              if (o.kind === 'force' && isNew && o.w <= limit) expect(cache.peek(o.key)).toBe(step);
              expect(cache.weight).toBeLessThanOrEqual(limit);
            } else if (o.kind === 'get') {
              expect(cache.get(o.key)).toBe(model.get(o.key)?.value);
            } else {
              expect(cache.remove(o.key)).toBe(model.get(o.key)?.value);
              model.delete(o.key);
            }
            expect(cache.size).toBe(model.size);
          }
          let weight = 0;
          for (const [k, { value, weight: w }] of model) {
            expect(cache.peek(k)).toBe(value);
            weight += w;
          }
          expect(cache.weight).toBe(weight);
        },
      ),
      { numRuns: 400 },
    );
  });
});
