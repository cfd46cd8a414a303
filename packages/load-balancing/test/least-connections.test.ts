import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  LeastConnections,
  LoadBalancer,
  PowerOfTwoChoices,
  StaticDiscovery,
} from '../src/index.ts';
import { InFlightTracker } from '../src/selection/in-flight.ts';
import { seededRandom } from './utils/rng.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';
import { countFirstPicks, expectWeightedShares } from './utils/shares.ts';

selectionConformance('LeastConnections', LeastConnections, { deterministicPerKey: false });
selectionConformance('PowerOfTwoChoices', PowerOfTwoChoices, { deterministicPerKey: false });
selectionConformance('PowerOfTwoChoices (seeded)', PowerOfTwoChoices.withSource(seededRandom(3)), {
  deterministicPerKey: false,
});

describe('InFlightGuard', () => {
  it('decrements exactly once, however often it is released', () => {
    const [b] = backendSet(1);
    const tracker = new InFlightTracker();
    const g1 = tracker.acquire(b!);
    const g2 = tracker.acquire(b!);
    expect(tracker.count(b!.addr)).toBe(2);
    expect(g1.release()).toBe(true);
    expect(g1.release()).toBe(false);
    g1[Symbol.dispose]();
    expect(tracker.count(b!.addr)).toBe(1);
    {
      using _g3 = tracker.acquire(b!);
      expect(tracker.count(b!.addr)).toBe(2);
    }
    expect(tracker.count(b!.addr)).toBe(1);
    g2.release();
    expect(tracker.count(b!.addr)).toBe(0);
  });
});

describe('InFlightTracker', () => {
  it('never hands the slot of a backend with requests in flight to another address', () => {
    const [a, b, c] = backendSet(3);
    const tracker = new InFlightTracker();
    const held = tracker.acquire(a!);
    tracker.retain(new Set()); // a left the set but has a request in flight: its slot stays
    const onB = tracker.acquire(b!);
    expect(tracker.count(b!.addr)).toBe(1);
    held.release();
    expect(tracker.count(a!.addr)).toBe(0);
    expect(tracker.count(b!.addr)).toBe(1);
    tracker.retain(new Set([b!.addr])); // now a's slot is free and may be reused
    const onC = tracker.acquire(c!);
    expect([tracker.count(b!.addr), tracker.count(c!.addr)]).toEqual([1, 1]);
    onB.release();
    onC.release();
    expect([tracker.count(b!.addr), tracker.count(c!.addr)]).toEqual([0, 0]);
  });

  it('grows past its initial capacity without losing counts', () => {
    const set = backendSet(100);
    const tracker = new InFlightTracker();
    const guards = set.map((b) => tracker.acquire(b));
    for (const b of set) expect(tracker.count(b.addr)).toBe(1);
    for (const g of guards) g.release();
    for (const b of set) expect(tracker.count(b.addr)).toBe(0);
  });
});

describe('LeastConnections', () => {
  it('picks the backend with the fewest requests in flight', () => {
    const addrs = backendSet(4).map((b) => b.addr);
    const lb = LoadBalancer.fromAddrs(addrs, LeastConnections);
    const held = [];
    // Taking and holding each pick fills the backends evenly.
    for (let i = 0; i < 40; i++) held.push(lb.acquire(lb.select('')!));
    for (const a of addrs) expect(lb.inFlight(a)).toBe(10);
    // Free three slots on one backend: the next three picks go there.
    const target = held.filter((g) => g.backend.addr === addrs[2]).slice(0, 3);
    for (const g of target) g.release();
    for (let i = 0; i < 3; i++) held.push(lb.acquire(lb.select('')!));
    for (const a of addrs) expect(lb.inFlight(a)).toBe(10);
    for (const g of held) g.release();
    for (const a of addrs) expect(lb.inFlight(a)).toBe(0);
  });

  it('finds the same least loaded backend as a full scan, through any acquire/release history (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.integer({ min: 1, max: 3000 })), {
          maxLength: 30,
        }),
        (weights, steps) => {
          const set = backendSet(weights.length, (i) => weights[i]!);
          const tracker = new InFlightTracker();
          const lc = LeastConnections.build(set, { inFlight: tracker });
          const held: Array<Array<{ release(): boolean }>> = set.map(() => []);
          const scan = (start: number) => {
            let best = -1;
            let bestLoad = Number.POSITIVE_INFINITY;
            for (let k = 0; k < set.length; k++) {
              const i = (start + k) % set.length;
              const load = tracker.count(set[i]!.addr) / set[i]!.weight;
              if (load < bestLoad) {
                bestLoad = load;
                best = i;
              }
            }
            return best;
          };
          for (const [at, acquire, times] of steps) {
            const i = at % set.length;
            // Sometimes more changes than the change log holds, to take the rebuild path.
            for (let t = 0; t < (times > 2500 ? times * 2 : 1); t++) {
              if (acquire) held[i]!.push(tracker.acquire(set[i]!));
              else held[i]!.pop()?.release();
            }
            const start = times % set.length;
            expect(lc.leastFrom(start)).toBe(scan(start));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('weighs load by weight: a weight-3 backend carries 3x the requests', () => {
    const lb = LoadBalancer.fromAddrs(
      [
        { addr: '10.0.0.1:80', weight: 3 },
        { addr: '10.0.0.2:80', weight: 1 },
      ],
      LeastConnections,
    );
    for (let i = 0; i < 400; i++) lb.acquire(lb.select('')!);
    expect(lb.inFlight('10.0.0.1:80')).toBe(300);
    expect(lb.inFlight('10.0.0.2:80')).toBe(100);
  });

  it('shares an idle set in turn', () => {
    const set = backendSet(5);
    const counts = countFirstPicks(LeastConnections.build(set), 500);
    for (const b of set) expect(counts.get(b.addr)).toBe(100);
  });

  it('offers the next least loaded when the first is not ready', () => {
    const addrs = backendSet(3).map((b) => b.addr);
    const lb = LoadBalancer.fromAddrs(addrs, LeastConnections);
    const busy = [lb.acquire(lb.select('')!), lb.acquire(lb.select('')!)]; // two of three have 1
    const idle = addrs.find((a) => lb.inFlight(a) === 0)!;
    lb.backends().setEnable(idle, false);
    const picked = lb.select('')!;
    expect(picked.addr).not.toBe(idle);
    expect(lb.inFlight(picked.addr)).toBe(1);
    for (const g of busy) g.release();
  });

  it('keeps counts of in-flight picks across a rebuild, and releases after removal are harmless', async () => {
    const discovery = new StaticDiscovery(['10.0.0.1:80', '10.0.0.2:80']);
    const lb = new LoadBalancer(LeastConnections, discovery);
    await lb.update();
    const g1 = lb.acquire(lb.select('')!);
    const g2 = lb.acquire(lb.select('')!);
    const g3 = lb.acquire(lb.select('')!);
    const onFirst = lb.inFlight('10.0.0.1:80');
    discovery.set(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
    await lb.update();
    expect(lb.inFlight('10.0.0.1:80')).toBe(onFirst);
    // The new, idle backend takes the next picks until it catches up.
    const picked: Backend[] = [];
    const more = [];
    for (let i = 0; i < 2; i++) {
      const b = lb.select('')!;
      picked.push(b);
      more.push(lb.acquire(b));
    }
    expect(picked.filter((b) => b.addr === '10.0.0.3:80').length).toBeGreaterThanOrEqual(1);
    discovery.set(['10.0.0.3:80']);
    await lb.update();
    for (const g of [g1, g2, g3, ...more]) g.release();
    expect(lb.inFlight('10.0.0.1:80')).toBe(0);
    expect(lb.inFlight('10.0.0.2:80')).toBe(0);
  });
});

describe('PowerOfTwoChoices', () => {
  it('prefers the less loaded of its two draws', () => {
    const addrs = backendSet(2).map((b) => b.addr);
    const lb = LoadBalancer.fromAddrs(addrs, PowerOfTwoChoices.withSource(seededRandom(11)));
    const hold = [];
    for (let i = 0; i < 5; i++) hold.push(lb.acquire(lb.backends().get()[0]!));
    // With two backends both are always drawn, so the idle one always wins.
    for (let i = 0; i < 20; i++) expect(lb.select('')!.addr).toBe(lb.backends().get()[1]!.addr);
    for (const g of hold) g.release();
  });

  it('balances held requests almost evenly', () => {
    const addrs = backendSet(10).map((b) => b.addr);
    const lb = LoadBalancer.fromAddrs(addrs, PowerOfTwoChoices.withSource(seededRandom(5)));
    for (let i = 0; i < 1000; i++) lb.acquire(lb.select('')!);
    const loads = addrs.map((a) => lb.inFlight(a));
    // Random would spread 1000 over 10 with a max around 130; two choices stay near 100.
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(6);
  });

  it('draws by weight when idle: within 2 points over 100k picks', () => {
    const set = backendSet(5, (i) => [1, 2, 3, 5, 9][i]!);
    const picks = 100_000;
    // Idle, the first draw wins ties, so first picks follow the weights.
    expectWeightedShares(
      set,
      countFirstPicks(PowerOfTwoChoices.withSource(seededRandom(9)).build(set), picks),
      picks,
    );
  });
});
