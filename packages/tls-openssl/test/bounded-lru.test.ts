import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLru } from '../src/connector/bounded-lru.ts';

describe('BoundedLru (the upstream context and session caches)', () => {
  it('matches a model: never over capacity, evicts the least recently used (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 60 }), (cap, ops) => {
        const lru = new BoundedLru<number>(cap);
        // The model: keys in recency order, oldest first.
        let model: number[] = [];
        let evictions = 0;
        for (const { kind, key } of ops) {
          const k = String(key);
          if (kind === 'set') {
            lru.set(k, key);
            if (cap === 0) continue;
            model = [...model.filter((m) => m !== key), key];
            if (model.length > cap) {
              model.shift();
              evictions++;
            }
          } else if (kind === 'get') {
            const hit = lru.get(k);
            expect(hit).toBe(model.includes(key) ? key : undefined);
            if (hit !== undefined) model = [...model.filter((m) => m !== key), key];
          } else {
            lru.delete(k);
            model = model.filter((m) => m !== key);
          }
          expect(lru.size).toBe(model.length);
          expect(lru.size).toBeLessThanOrEqual(cap);
        }
        expect(lru.evictions).toBe(evictions);
      }),
    );
  });
});
