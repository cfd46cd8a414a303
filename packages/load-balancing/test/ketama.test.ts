import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBackends } from '../src/backend.ts';
import { Backend, Ketama, LoadBalancer } from '../src/index.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';

// Ring size grows with weight (160 points each), so the properties keep weights small.
selectionConformance('Ketama', Ketama, { deterministicPerKey: true, maxWeight: 20 });

describe('Ketama', () => {
  const b1 = new Backend('1.1.1.1:80');
  const b2 = new Backend('1.0.0.1:80');
  const b3 = new Backend('1.0.0.255:80');

  it('picks what Pingora picks, before and after a removal (selection/consistent.rs test_ketama)', () => {
    const ring = Ketama.build([b1, b2, b3].sort(compareBackends));
    const keys = Array.from({ length: 10 }, (_, i) => `test${i}`);
    expect(keys.map((k) => ring.iter(k).next())).toEqual([b2, b1, b1, b1, b1, b3, b1, b3, b1, b2]);
    const smaller = Ketama.build([b1, b2].sort(compareBackends));
    expect(keys.map((k) => smaller.iter(k).next())).toEqual([
      b2,
      b1,
      b1,
      b1,
      b1,
      b2,
      b1,
      b1,
      b1,
      b2,
    ]);
  });

  it('falls back clockwise to each other server once', () => {
    const ring = Ketama.build(backendSet(6));
    const it6 = ring.iter('some-key');
    const seen = Array.from({ length: 6 }, () => it6.next()!.addr);
    expect(new Set(seen).size).toBe(6);
    expect(it6.next()).toBeUndefined();
  });

  it('moves about 1/n of the keys when one of n backends is added or removed (property)', () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `object-${i}`);
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 24 }), fc.nat(), (n, which) => {
        const set = backendSet(n + 1);
        const removed = set[which % (n + 1)]!;
        const before = Ketama.build(set);
        const after = Ketama.build(set.filter((b) => b !== removed));
        let moved = 0;
        for (const k of keys) {
          const was = before.iter(k).next()!;
          const now = after.iter(k).next()!;
          if (was !== now) {
            moved++;
            // Only the removed backend's keys move; nobody else's.
            expect(was).toBe(removed);
          }
        }
        // Expected share 1/(n+1); ketama's spread with 160 points per server stays well within 2x.
        const share = moved / keys.length;
        expect(share).toBeGreaterThan(0.4 / (n + 1));
        expect(share).toBeLessThan(2 / (n + 1));
      }),
      { numRuns: 25 },
    );
  });

  it('leaves Unix-socket backends off the ring', () => {
    const lb = LoadBalancer.fromAddrs(['unix:/tmp/a.sock', '10.0.0.1:80'], Ketama);
    for (let i = 0; i < 20; i++) expect(lb.select(`k${i}`)?.addr).toBe('10.0.0.1:80');
  });

  it('reports a ring it cannot build as a ConfigError', () => {
    const huge = backendSet(2000, () => 65_535);
    expect(() => Ketama.build(huge)).toThrow(/ConfigError/);
  });
});
