/**
 * The conformance suite every selection algorithm runs: what any
 * BackendSelection must do whatever its policy (only its own backends,
 * nothing from an empty set, every backend reachable through fallbacks
 * within LoadBalancer's iteration bound, reusable iterators, rebuilds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBackends } from '../../src/backend.ts';
import {
  Backend,
  type BackendSelectionBuilder,
  LoadBalancer,
  StaticDiscovery,
} from '../../src/index.ts';
import { InFlightTracker } from '../../src/selection/in-flight.ts';

export interface ConformanceOptions {
  /** Same key and same set give the same candidates. */
  deterministicPerKey: boolean;
  /** Largest weight the properties draw (building is linear in weight for some). Default 3000. */
  maxWeight?: number;
}

/** `n` distinct backends (127.0.0.x:8000+), sorted as Backends sorts them. */
export function backendSet(n: number, weight: (i: number) => number = () => 1): Backend[] {
  const out: Backend[] = [];
  for (let i = 0; i < n; i++) {
    out.push(new Backend(`10.0.${i >> 8}.${i & 0xff}:${8000 + (i % 7)}`, { weight: weight(i) }));
  }
  return out.sort(compareBackends);
}

function take(iter: { next(): Backend | undefined }, count: number): Backend[] {
  const out: Backend[] = [];
  for (let i = 0; i < count; i++) {
    const b = iter.next();
    if (b === undefined) break;
    out.push(b);
  }
  return out;
}

export function selectionConformance(
  name: string,
  builder: BackendSelectionBuilder,
  options: ConformanceOptions,
): void {
  describe(`${name}: selection conformance`, () => {
    it('yields nothing from an empty set', () => {
      const selection = builder.build([], { inFlight: new InFlightTracker() });
      expect(selection.iter('k').next()).toBeUndefined();
      const lb = LoadBalancer.fromAddrs([], builder);
      expect(lb.select('k')).toBeUndefined();
    });

    it('offers only backends of its set, the sole backend first', () => {
      const one = backendSet(1);
      const single = builder.build(one, { inFlight: new InFlightTracker() });
      expect(single.iter('x').next()).toBe(one[0]);
      const set = backendSet(9, (i) => 1 + (i % 3));
      const selection = builder.build(set, { inFlight: new InFlightTracker() });
      expect(selection.backends).toEqual(set);
      for (const key of ['', 'a', 'b', 'some/longer/path', '\u00e9\u{1f600}']) {
        for (const b of take(selection.iter(key), 50)) expect(set).toContain(b);
      }
    });

    it('reaches any single ready backend through fallbacks, whatever the weights (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: options.maxWeight ?? 3000 }), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.nat(),
          fc.string({ maxLength: 12 }),
          (weights, pick, key) => {
            const n = weights.length;
            const specs = backendSet(n, (i) => weights[i]!).map((b) => ({
              addr: b.addr,
              weight: b.weight,
            }));
            const lb = LoadBalancer.fromAddrs(specs, builder);
            const target = specs[pick % n]!.addr;
            for (const { addr } of specs) if (addr !== target) lb.backends().setEnable(addr, false);
            expect(lb.select(key, 256)?.addr).toBe(target);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('returns undefined when no backend is ready, within the iteration bound', () => {
      const addrs = backendSet(5).map((b) => b.addr);
      const lb = LoadBalancer.fromAddrs(addrs, builder);
      for (const addr of addrs) lb.backends().setEnable(addr, false);
      expect(lb.select('k', 1000)).toBeUndefined();
      let calls = 0;
      const none = lb.selectWith('k', 7, () => {
        calls++;
        return false;
      });
      expect(none).toBeUndefined();
      expect(calls).toBeLessThanOrEqual(7);
      expect(calls).toBeGreaterThanOrEqual(1);
    });

    it('a reused iterator behaves like a fresh one', () => {
      const set = backendSet(6, (i) => i + 1);
      const selection = builder.build(set, { inFlight: new InFlightTracker() });
      const reused = selection.iter('first');
      take(reused, 3);
      if (options.deterministicPerKey) {
        for (const key of ['k1', 'k2', 'k3']) {
          reused.reset?.(key);
          expect(take(reused, 4)).toEqual(take(selection.iter(key), 4));
        }
      } else {
        reused.reset?.('k1');
        expect(reused.next()).toBeDefined();
      }
    });

    it('after a rebuild offers only the new set', async () => {
      const discovery = new StaticDiscovery(backendSet(4).map((b) => b.addr));
      const lb = new LoadBalancer(builder, discovery);
      await lb.update();
      expect(lb.select('k')).toBeDefined();
      const next = backendSet(12)
        .slice(6)
        .map((b) => b.addr);
      discovery.set(next);
      await lb.update();
      for (let i = 0; i < 50; i++) expect(next).toContain(lb.select(`k${i}`)!.addr);
    });
  });
}
