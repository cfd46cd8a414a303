import { describe, expect, it } from 'vitest';
import { compareBackends } from '../src/backend.ts';
import { Backend, LoadBalancer, RoundRobin, WeightedRoundRobin } from '../src/index.ts';
import { backendSet, selectionConformance } from './utils/selection-conformance.ts';
import { countFirstPicks, expectWeightedShares } from './utils/shares.ts';

selectionConformance('RoundRobin', RoundRobin, { deterministicPerKey: false });
selectionConformance('WeightedRoundRobin', WeightedRoundRobin, { deterministicPerKey: false });

describe('RoundRobin', () => {
  it('is exact: each of n equal backends once per n picks, in order', () => {
    const set = backendSet(7);
    const lb = LoadBalancer.fromAddrs(
      set.map((b) => b.addr),
      RoundRobin,
    );
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < set.length; i++) expect(lb.select('ignored')?.addr).toBe(set[i]!.addr);
    }
  });

  it("matches Pingora's weighted round robin sequence (selection/weighted.rs test_round_robin)", () => {
    const b1 = new Backend('1.1.1.1:80');
    const b2 = new Backend('1.0.0.1:80', { weight: 8 });
    const b3 = new Backend('1.0.0.255:80');
    const set = [b1, b2, b3].sort(compareBackends);
    expect(set).toEqual([b2, b3, b1]);
    const rr = RoundRobin.build(set);
    const iter = rr.iter();
    expect([iter.next(), iter.next(), iter.next(), iter.next(), iter.next()]).toEqual([
      b2,
      b3,
      b1,
      b2,
      b3,
    ]);
    const firsts = [];
    for (let i = 0; i < 7; i++) firsts.push(rr.iter().next());
    expect(firsts).toEqual([b2, b2, b2, b3, b1, b2, b2]);
  });

  it('gives weighted shares within 2 points over 100k picks', () => {
    const set = backendSet(5, (i) => [1, 2, 3, 5, 9][i]!);
    const picks = 100_000;
    expectWeightedShares(set, countFirstPicks(RoundRobin.build(set), picks), picks);
  });
});

describe('WeightedRoundRobin', () => {
  it('interleaves by weight instead of bursting', () => {
    const a = new Backend('10.0.0.1:80', { weight: 5 });
    const b = new Backend('10.0.0.2:80');
    const c = new Backend('10.0.0.3:80');
    const wrr = WeightedRoundRobin.build([a, b, c]);
    const seq = Array.from({ length: 14 }, () => wrr.iter().next()!.addr);
    const cycle = seq.slice(0, 7);
    expect(cycle.filter((x) => x === a.addr)).toHaveLength(5);
    expect(seq.slice(7)).toEqual(cycle);
    // Runs of a, counted across cycles, are at most 3 (the least possible); round robin gives 5.
    let run = 0;
    let longest = 0;
    for (const x of seq) {
      run = x === a.addr ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThanOrEqual(3);
  });

  it('is exact per cycle and within 2 points over 100k picks', () => {
    const set = backendSet(6, (i) => [1, 2, 3, 5, 9, 20][i]!);
    const picks = 100_000;
    const counts = countFirstPicks(WeightedRoundRobin.build(set), 40 * 10);
    for (const b of set) expect(counts.get(b.addr)).toBe(b.weight * 10);
    expectWeightedShares(set, countFirstPicks(WeightedRoundRobin.build(set), picks), picks);
  });

  it('reaches a light backend at once when the heavy one filling the cycle is down', () => {
    const lb = LoadBalancer.fromAddrs(
      [{ addr: '10.0.0.1:80', weight: 5000 }, '10.0.0.2:80', '10.0.0.3:80'],
      WeightedRoundRobin,
    );
    lb.backends().setEnable('10.0.0.1:80', false);
    for (let i = 0; i < 100; i++) expect(lb.select('', 3)?.addr).not.toBe('10.0.0.1:80');
    for (let i = 0; i < 100; i++) expect(lb.select('', 3)).toBeDefined();
  });

  it('divides weights by their GCD and rejects cycles that are too long', () => {
    const wrr = WeightedRoundRobin.build([
      new Backend('10.0.0.1:80', { weight: 600 }),
      new Backend('10.0.0.2:80', { weight: 300 }),
    ]);
    expect(wrr.cycle.length).toBe(3);
    const heavy = backendSet(40, (i) => 65_535 - i);
    expect(() => WeightedRoundRobin.build(heavy)).toThrow(/ConfigError.*exceeds/);
  });
});
