import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RTCache } from '../src/index.ts';

/**
 * Whatever order concurrent reads start in and lookups finish in (fast-check's
 * scheduler decides), each key is looked up exactly once, every reader gets
 * that lookup's value, exactly one reader per key sees `miss` and the rest
 * `hit` or `lock_hit`, and no lock is left behind.
 */
describe('RTCache coalescing', () => {
  it('looks each key up once under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 30 }),
        async (s, reads) => {
          const lookups = new Map<string, number>();
          const cache = new RTCache<string, string>({
            size: 16,
            seed: 1,
            lookup: (key) => {
              lookups.set(key, (lookups.get(key) ?? 0) + 1);
              return s.schedule(Promise.resolve({ value: `v:${key}` }), `lookup ${key}`);
            },
          });
          const pending = reads.map((key) =>
            s.schedule(Promise.resolve(key), `read ${key}`).then((k) => cache.get(k)),
          );
          await s.waitFor(Promise.all(pending));
          const results = await Promise.all(pending);
          for (const key of new Set(reads)) {
            expect(lookups.get(key)).toBe(1);
            const mine = results.filter((_, i) => reads[i] === key);
            expect(mine.every((r) => r.value === `v:${key}`)).toBe(true);
            expect(mine.filter((r) => r.status === 'miss')).toHaveLength(1);
            expect(mine.every((r) => ['miss', 'hit', 'lock_hit'].includes(r.status))).toBe(true);
          }
          expect(cache.lookupsInFlight).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
