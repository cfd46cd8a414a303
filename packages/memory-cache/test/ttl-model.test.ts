import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../src/index.ts';

/**
 * MemoryCache TTLs against a model on a test clock, with room for every key
 * (so nothing is evicted and the model is exact): a value is a hit until
 * its TTL has passed, then expired (and stale by exactly the time since), a
 * zero TTL stores nothing, and remove forgets.
 */
const op = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    key: fc.nat(8),
    ttl: fc.option(fc.nat(50), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(30) }),
  fc.record({ kind: fc.constant('remove' as const), key: fc.nat(8) }),
);

describe('MemoryCache TTLs against a model', () => {
  it('hit before the deadline, expired from it on, stale by the time since', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        let now = 0;
        const cache = new MemoryCache<number, number>({ size: 64, clock: () => now, seed: 3 });
        const model = new Map<number, { value: number; expireAt: number }>();
        ops.forEach((o, step) => {
          if (o.kind === 'put') {
            cache.put(o.key, step, o.ttl);
            if (o.ttl === 0) return; // a zero TTL stores nothing, and leaves an older value
            model.set(o.key, {
              value: step,
              expireAt: o.ttl === undefined ? Infinity : now + o.ttl,
            });
          } else if (o.kind === 'tick') {
            now += o.ms;
          } else {
            cache.remove(o.key);
            model.delete(o.key);
          }
          for (let key = 0; key <= 8; key++) {
            const m = model.get(key);
            const got = cache.getStale(key);
            if (m === undefined) expect(got.status).toBe('miss');
            else if (m.expireAt > now) {
              expect(got).toEqual({ status: 'hit', value: m.value });
              expect(cache.get(key)).toEqual({ status: 'hit', value: m.value });
            } else {
              expect(got).toEqual({ status: 'stale', value: m.value, staleMs: now - m.expireAt });
              expect(cache.get(key).status).toBe('expired');
            }
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
