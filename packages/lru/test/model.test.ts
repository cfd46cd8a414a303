import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from '../src/index.ts';

/**
 * The model: per shard, an array of [key, data, weight] from most to least
 * recently used. Every operation on the Lru is replayed on it, and order,
 * weights and counts must agree after each step.
 */
type Entry = [key: number, data: number, weight: number];

const op = fc.oneof(
  fc.record({ kind: fc.constant('admit' as const), key: fc.nat(40), w: fc.nat(6) }),
  fc.record({ kind: fc.constant('tail' as const), key: fc.nat(40), w: fc.nat(6) }),
  fc.record({ kind: fc.constant('get' as const), key: fc.nat(40) }),
  fc.record({ kind: fc.constant('remove' as const), key: fc.nat(40) }),
  fc.record({ kind: fc.constant('incr' as const), key: fc.nat(40), w: fc.nat(4) }),
  fc.record({ kind: fc.constant('evict' as const) }),
);

describe('Lru against a model', () => {
  it('agrees on order, weight, count and what is evicted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(op, { maxLength: 200 }),
        (shards, limit, ops) => {
          const lru = new Lru<number>({ shards, weightLimit: limit, capacity: 1, seed: 3 });
          const model: Entry[][] = Array.from({ length: shards }, () => []);
          const find = (key: number) => {
            const list = model[key % shards]!;
            return [list, list.findIndex((e) => e[0] === key)] as const;
          };
          let step = 0;
          for (const o of ops) {
            step++;
            const [list, at] = find('key' in o ? o.key : 0);
            switch (o.kind) {
              case 'admit': {
                if (at >= 0) list.splice(at, 1);
                list.unshift([o.key, step, Math.max(1, o.w)]);
                lru.admit(o.key, step, o.w);
                break;
              }
              case 'tail': {
                expect(lru.insertTail(o.key, step, o.w)).toBe(at < 0);
                if (at < 0) list.push([o.key, step, o.w]);
                break;
              }
              case 'get': {
                const got = lru.get(o.key);
                if (at < 0) expect(got).toBeUndefined();
                else {
                  const [e] = list.splice(at, 1);
                  expect(got).toBe(e![1]);
                  list.unshift(e!);
                }
                break;
              }
              case 'remove': {
                const removed = lru.remove(o.key);
                if (at < 0) expect(removed).toBeUndefined();
                else {
                  const [e] = list.splice(at, 1);
                  expect(removed).toEqual({ data: e![1], weight: e![2] });
                }
                break;
              }
              case 'incr': {
                const w = lru.incrementWeight(o.key, o.w);
                if (at < 0) expect(w).toBeUndefined();
                else {
                  const [e] = list.splice(at, 1);
                  e![2] += o.w;
                  list.unshift(e!);
                  expect(w).toBe(e![2]);
                }
                break;
              }
              case 'evict': {
                for (const e of lru.evictToLimit()) {
                  // whatever shard was picked, it gave up its least recent entry
                  const shard = model[(e.key as number) % shards]!;
                  expect(shard.at(-1)).toEqual([e.key, e.data, e.weight]);
                  shard.pop();
                }
                const total = model.flat().reduce((s, e) => s + e[2], 0);
                expect(total <= limit || model.every((s) => s.length === 0)).toBe(true);
                break;
              }
            }
            const all = model.flat();
            expect(lru.len).toBe(all.length);
            expect(lru.weight).toBe(all.reduce((s, e) => s + e[2], 0));
          }
          for (let s = 0; s < shards; s++) {
            const seen: Entry[] = [];
            lru.iterShard(s, (data, weight, key) => seen.push([key as number, data, weight]));
            expect(seen).toEqual(model[s]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
